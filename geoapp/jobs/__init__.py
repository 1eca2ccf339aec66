"""Background jobs: the PostgreSQL queue, its pages, and the OGC processes run as jobs."""
