"""The header search: landmarks, roads, subdistricts, datasets and cases by name or code."""
