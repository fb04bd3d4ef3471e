"""Hotspot statistics, visit priorities and the dashboard's queries: functions over a read-only
warehouse connection, with no Streamlit imports, so the CLI, the dashboard and tests share them."""
