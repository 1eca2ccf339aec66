"""Editing features of the infrastructure layers one at a time (the map's edit tools)."""
