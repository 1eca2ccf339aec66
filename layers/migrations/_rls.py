"""SQL for row-level security, shared by migrations (see layers/tenancy.py)."""


def enable_rls(table: str) -> str:
    """Turn on forced row-level security with the tenant policy for one table."""
    return f"""
    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON {table}
        USING (municipality_id = ANY (mueang_tenants()))
        WITH CHECK (municipality_id = ANY (mueang_tenants()));
    """


def disable_rls(table: str) -> str:
    """Undo `enable_rls`."""
    return f"""
    DROP POLICY IF EXISTS tenant_isolation ON {table};
    ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
    """
