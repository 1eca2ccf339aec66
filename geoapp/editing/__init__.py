"""Editing roads, landmarks and buildings on the map (the endpoints the map's edit tools call)."""
