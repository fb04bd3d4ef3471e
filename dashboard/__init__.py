"""The Streamlit dashboard: app.py (presentation) and warehouse_view.py (read-only queries)."""
