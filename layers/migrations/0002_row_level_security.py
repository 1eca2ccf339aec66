"""Row-level security on every layers table that carries municipality_id (see layers/tenancy.py)."""

from django.db import migrations

TENANT_TABLES = [
    "layers_subdistrict",
    "layers_dataset",
    "layers_road",
    "layers_landmark",
    "layers_building",
    "layers_floodzone",
    "layers_denguecase",
    "layers_denguecasepersonal",
]

FUNCTION = """
CREATE OR REPLACE FUNCTION mueang_tenants() RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(
        string_to_array(nullif(current_setting('mueang.tenants', true), ''), ',')::bigint[],
        '{}'::bigint[]
    )
$$;
"""


def enable(table: str) -> str:
    return f"""
    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON {table}
        USING (municipality_id = ANY (mueang_tenants()))
        WITH CHECK (municipality_id = ANY (mueang_tenants()));
    """


def disable(table: str) -> str:
    return f"""
    DROP POLICY IF EXISTS tenant_isolation ON {table};
    ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
    """


class Migration(migrations.Migration):
    dependencies = [("layers", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS mueang_tenants();"),
        *[migrations.RunSQL(enable(table), disable(table)) for table in TENANT_TABLES],
        # Public catalogue entries are readable without a tenant (the open-data pages).
        migrations.RunSQL(
            "CREATE POLICY public_read ON layers_dataset FOR SELECT USING (visibility = 'public');",
            "DROP POLICY IF EXISTS public_read ON layers_dataset;",
        ),
    ]
