"""Pure analyses (geopandas, shapely, rasterio): no Django, no database."""
