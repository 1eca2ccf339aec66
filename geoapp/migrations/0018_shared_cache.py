# The table of the "shared" cache (settings CACHES, decision 0021), as `createcachetable` makes it,
# so `migrate` (make db, the test database) creates it and no extra command is needed.

from django.db import migrations

CREATE = """
CREATE TABLE IF NOT EXISTS mueang_cache (
    cache_key varchar(255) NOT NULL PRIMARY KEY,
    value text NOT NULL,
    expires timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS mueang_cache_expires ON mueang_cache (expires);
-- Values come compressed (layers.caching): PostgreSQL need not try again.
ALTER TABLE mueang_cache ALTER COLUMN value SET STORAGE EXTERNAL;
"""


class Migration(migrations.Migration):
    dependencies = [("geoapp", "0016_report_followup")]

    operations = [migrations.RunSQL(CREATE, "DROP TABLE IF EXISTS mueang_cache")]
