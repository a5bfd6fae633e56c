"""The Streamlit glue: the only part of lib/ that imports streamlit. It lays out what ``views``
decided and keeps each viewer's session state; it decides nothing about DocSpace."""
