"""The OGC API: features, processes and jobs, and the OpenAPI document."""
