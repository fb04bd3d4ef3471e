"""Operational records: visit plans and visit outcomes, kept apart from the rebuildable warehouse."""
