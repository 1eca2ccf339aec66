"""Row-level security on memberships: tenant rows, plus a user's own memberships."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("geoapp", "0001_initial"), ("layers", "0002_row_level_security")]

    operations = [
        migrations.RunSQL(
            """
            ALTER TABLE geoapp_membership ENABLE ROW LEVEL SECURITY;
            ALTER TABLE geoapp_membership FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON geoapp_membership
                USING (municipality_id = ANY (mueang_tenants()))
                WITH CHECK (municipality_id = ANY (mueang_tenants()));
            -- Users may read their own memberships (to list their municipalities at login).
            CREATE POLICY own_memberships_read ON geoapp_membership FOR SELECT
                USING (user_id = nullif(current_setting('mueang.user_id', true), '')::bigint);
            """,
            """
            DROP POLICY IF EXISTS own_memberships_read ON geoapp_membership;
            DROP POLICY IF EXISTS tenant_isolation ON geoapp_membership;
            ALTER TABLE geoapp_membership NO FORCE ROW LEVEL SECURITY;
            ALTER TABLE geoapp_membership DISABLE ROW LEVEL SECURITY;
            """,
        )
    ]
