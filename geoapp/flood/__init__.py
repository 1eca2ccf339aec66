"""Flood pages: exposure dashboard, aid priority and needs profile, and their maps."""
