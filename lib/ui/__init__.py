"""Streamlit screens that stand apart from the dashboard pages (sign-in)."""
