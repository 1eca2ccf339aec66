"""folium map builders: plain functions from frames and options to a `folium.Map`."""
