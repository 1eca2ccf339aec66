"""Vector tiles (Mapbox Vector Tiles) of the layers, per municipality."""
