"""Turn a partner's CSV or XLSX file into numbered records, whatever its encoding, delimiter or layout."""
