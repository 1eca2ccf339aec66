"""Row-level security on every layers table that carries municipality_id (see layers/tenancy.py)."""

from django.db import migrations

from layers.migrations._rls import disable_rls, enable_rls

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


class Migration(migrations.Migration):
    dependencies = [("layers", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS mueang_tenants();"),
        *[migrations.RunSQL(enable_rls(table), disable_rls(table)) for table in TENANT_TABLES],
        # Public catalogue entries are readable without a tenant (the open-data pages).
        migrations.RunSQL(
            "CREATE POLICY public_read ON layers_dataset FOR SELECT USING (visibility = 'public');",
            "DROP POLICY IF EXISTS public_read ON layers_dataset;",
        ),
    ]
