"""The import wizard: upload, preview, map columns, check, and the import_layer job."""
