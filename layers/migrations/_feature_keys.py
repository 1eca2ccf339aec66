"""SQL for the statement-level key checks of the layer tables (migration 0012)."""

from __future__ import annotations

# Layer tables whose municipality and dataset keys the triggers check.
FEATURE_TABLES = (
    "layers_road",
    "layers_landmark",
    "layers_building",
    "layers_floodzone",
    "layers_denguecase",
)

KEY_FUNCTIONS = rf"""
CREATE FUNCTION mueang_feature_keys_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    -- One lock per parent for the whole statement; a foreign key takes one per row.
    PERFORM 1 FROM layers_municipality m
     WHERE m.id IN (SELECT DISTINCT municipality_id FROM new_rows) FOR KEY SHARE OF m;
    PERFORM 1 FROM layers_dataset d
     WHERE d.id IN (SELECT DISTINCT dataset_id FROM new_rows) FOR KEY SHARE OF d;
    SELECT k.municipality_id, k.dataset_id INTO bad
      FROM (SELECT DISTINCT municipality_id, dataset_id FROM new_rows) k
     WHERE NOT EXISTS (SELECT 1 FROM layers_municipality m WHERE m.id = k.municipality_id)
        OR (k.dataset_id IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM layers_dataset d
                 WHERE d.id = k.dataset_id AND d.municipality_id = k.municipality_id))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "%" violates its keys', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Municipality %s with dataset %s: no such municipality, '
                                  'or no such dataset in it.', bad.municipality_id,
                                  coalesce(bad.dataset_id::text, 'NULL'));
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION mueang_feature_parent_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    scope text := current_setting('mueang.tenants', true);
    key text := TG_ARGV[0];
    tenants text;
    tab text;
    found_one boolean;
BEGIN
    -- Row-level security would hide features of municipalities outside this transaction's
    -- scope: look with the deleted rows' municipalities in it, then put the scope back.
    IF TG_TABLE_NAME = 'layers_municipality' THEN
        SELECT string_agg(id::text, ',') INTO tenants FROM old_rows;
    ELSE
        SELECT string_agg(DISTINCT municipality_id::text, ',') INTO tenants FROM old_rows;
    END IF;
    PERFORM set_config('mueang.tenants', tenants, true);
    FOREACH tab IN ARRAY ARRAY[{", ".join(f"'{t}'" for t in FEATURE_TABLES)}] LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I t JOIN old_rows o ON t.%I = o.id)',
                       tab, key) INTO found_one;
        IF found_one THEN
            PERFORM set_config('mueang.tenants', coalesce(scope, ''), true);
            RAISE EXCEPTION 'delete on table "%" violates the keys of table "%"',
                TG_TABLE_NAME, tab
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = 'Features still refer to a deleted row.';
        END IF;
    END LOOP;
    PERFORM set_config('mueang.tenants', coalesce(scope, ''), true);
    RETURN NULL;
END $$;

CREATE FUNCTION mueang_feature_parent_rekey() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the id of a row of "%" does not change (features refer to it)',
        TG_TABLE_NAME USING ERRCODE = 'foreign_key_violation';
END $$;

CREATE TRIGGER municipality_features_delete AFTER DELETE ON layers_municipality
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION mueang_feature_parent_delete('municipality_id');
CREATE TRIGGER dataset_features_delete AFTER DELETE ON layers_dataset
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION mueang_feature_parent_delete('dataset_id');
CREATE TRIGGER municipality_rekey BEFORE UPDATE OF id ON layers_municipality
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION mueang_feature_parent_rekey();
CREATE TRIGGER dataset_rekey BEFORE UPDATE OF id ON layers_dataset
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION mueang_feature_parent_rekey();
"""

KEY_FUNCTIONS_DROP = """
DROP TRIGGER IF EXISTS municipality_features_delete ON layers_municipality;
DROP TRIGGER IF EXISTS dataset_features_delete ON layers_dataset;
DROP TRIGGER IF EXISTS municipality_rekey ON layers_municipality;
DROP TRIGGER IF EXISTS dataset_rekey ON layers_dataset;
DROP FUNCTION IF EXISTS mueang_feature_keys_check(), mueang_feature_parent_delete(),
    mueang_feature_parent_rekey();
"""


def key_triggers(table: str) -> tuple[str, str]:
    """SQL that adds, and SQL that drops, the key checks of one layer table."""
    return (
        f"""
        CREATE TRIGGER {table}_keys_insert AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
            EXECUTE FUNCTION mueang_feature_keys_check();
        CREATE TRIGGER {table}_keys_update AFTER UPDATE ON {table}
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
            EXECUTE FUNCTION mueang_feature_keys_check();
        """,
        f"""
        DROP TRIGGER IF EXISTS {table}_keys_insert ON {table};
        DROP TRIGGER IF EXISTS {table}_keys_update ON {table};
        """,
    )
