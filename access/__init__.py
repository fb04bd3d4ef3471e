"""Who may see the dashboard: local accounts and the append-only audit log (no Streamlit here)."""
