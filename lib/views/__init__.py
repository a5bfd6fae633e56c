"""What each page says and draws, decided without Streamlit: the live progress view (status words,
rhythm, figure), Backups, All portals, History with its 30-day strip, charts and CSV tables. A module
here shares its name with the page it serves (``app_pages/backups.py`` reads ``views/backups.py``;
the Restore and Backup pages both read ``views/progress.py``). Stands on everything below ``ui``."""
