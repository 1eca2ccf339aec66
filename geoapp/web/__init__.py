"""Shared web pieces: permissions, middleware, error pages, the map base and raster overlays."""
