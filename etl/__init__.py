"""Hotspots ETL: read messy partner files, validate, geocode and load them into the DuckDB warehouse.

Nothing in this package knows about Streamlit; the dashboard only reads what these loaders write.
"""
