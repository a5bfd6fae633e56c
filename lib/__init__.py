"""DocSpace Backup Monitor logic: importable and testable without a Streamlit server."""
