"""Residents' reports read by other domains (dengue, flood): below them in the import layers."""
