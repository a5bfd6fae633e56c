"""The Streamlit glue: the only part of lib/ that draws. It decides nothing about DocSpace."""
