"""The data catalogue: find, preview and download datasets (members and open data)."""
