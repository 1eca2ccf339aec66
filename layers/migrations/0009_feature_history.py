"""Feature history: every INSERT, UPDATE and DELETE on the layer tables, written by triggers.

Statement-level AFTER triggers with transition tables (`REFERENCING OLD TABLE / NEW TABLE`) see
every row a statement touched, whoever issued it (ORM, bulk `update()`, raw SQL, the import's
`INSERT ... SELECT` from its COPY staging table), at the cost of one extra INSERT ... SELECT per
statement. Inserts keep only the key; updates and deletes keep the old row (`old_row` jsonb
without the geometry, `old_geom` exactly) and updates the changed column names. Who and why
come from transaction-local settings: `mueang.user_id` (set with the tenant scope),
`mueang.import_id` (the import run) and `mueang.change` (e.g. a restore).

The history table is append-only for the application: a guard refuses UPDATE and TRUNCATE,
INSERT from anywhere but these triggers, and DELETE unless the transaction set
`mueang.history_erase = 'pdpa'` (PDPA erasure and retention, `layers.pdpa`). The application
role owns the table, so it could still drop the guard with DDL; a deployment that needs more
gives the table and its functions to another role.
"""

import django.contrib.gis.db.models.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from layers.migrations._rls import disable_rls, enable_rls

# Layer tables with history, and the layer names used by LayerVersion (migration 0004).
TRACKED = {
    "layers_road": "roads",
    "layers_landmark": "landmarks",
    "layers_building": "buildings",
    "layers_floodzone": "flood_zones",
    "layers_denguecase": "cases",
}

FUNCTIONS = r"""
CREATE FUNCTION mueang_setting_bigint(name text) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN current_setting(name, true) ~ '^[0-9]+$'
                THEN current_setting(name, true)::bigint END
$$;

-- The old row as jsonb (every column but the geometry) and the changed columns of an update,
-- built from the table's columns so later migrations that add columns need no change here.
CREATE FUNCTION mueang_history_sql(rel oid, geom text, op text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    image text;
    changed text;
BEGIN
    SELECT string_agg(format('%L, o.%I', attname, attname), ', ' ORDER BY attnum),
           string_agg(format('CASE WHEN o.%1$I IS DISTINCT FROM n.%1$I THEN %1$L END', attname),
                      ', ' ORDER BY attnum)
      INTO image, changed
      FROM pg_attribute
     WHERE attrelid = rel AND attnum > 0 AND NOT attisdropped AND attname <> geom;
    IF op = 'update' THEN
        RETURN format($f$
            INSERT INTO layers_featurehistory (municipality_id, layer, feature_id, dataset_id, op,
                changed_at, user_ref, import_run_id, context, old_row, old_geom, changed_columns)
            SELECT municipality_id, $1, id, dataset_id, 'update', now(), $2, $3, $4,
                   image, old_geom, to_jsonb(changed)
            FROM (SELECT o.municipality_id, o.id, n.dataset_id, jsonb_build_object(%s) AS image,
                         o.%I AS old_geom,
                         array_remove(ARRAY[%s, CASE WHEN o.%I IS DISTINCT FROM n.%I THEN %L END],
                                      NULL) AS changed
                  FROM old_rows o JOIN new_rows n ON n.id = o.id) AS c
            WHERE cardinality(changed) > 0
        $f$, image, geom, changed, geom, geom, geom);
    END IF;
    RETURN format($f$
        INSERT INTO layers_featurehistory (municipality_id, layer, feature_id, dataset_id, op,
            changed_at, user_ref, import_run_id, context, old_row, old_geom)
        SELECT o.municipality_id, $1, o.id, o.dataset_id, 'delete', now(), $2, $3, $4,
               jsonb_build_object(%s), o.%I
        FROM old_rows o
    $f$, image, geom);
END $$;

CREATE FUNCTION mueang_history_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who bigint := mueang_setting_bigint('mueang.user_id');
    run bigint := mueang_setting_bigint('mueang.import_id');
    why text := left(coalesce(current_setting('mueang.change', true), ''), 200);
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The new row is the new state: the key is enough.
        INSERT INTO layers_featurehistory (municipality_id, layer, feature_id, dataset_id, op,
            changed_at, user_ref, import_run_id, context)
        SELECT n.municipality_id, TG_ARGV[0], n.id, n.dataset_id, 'insert', now(), who, run, why
        FROM new_rows n;
    ELSE
        EXECUTE mueang_history_sql(TG_RELID, TG_ARGV[1], lower(TG_OP))
            USING TG_ARGV[0], who, run, why;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION mueang_history_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Depth 1 is a statement on the history table itself; the layer triggers write at depth 2.
    IF TG_OP = 'INSERT' AND pg_trigger_depth() > 1 THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' AND current_setting('mueang.history_erase', true) = 'pdpa' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'feature history is written by triggers only and erased only for PDPA (%)',
        TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER featurehistory_guard
    BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON layers_featurehistory
    FOR EACH STATEMENT EXECUTE FUNCTION mueang_history_guard();
"""

DROP_FUNCTIONS = """
DROP TRIGGER IF EXISTS featurehistory_guard ON layers_featurehistory;
DROP FUNCTION IF EXISTS mueang_history_guard(), mueang_history_record(),
    mueang_history_sql(oid, text, text), mueang_setting_bigint(text);
"""


def triggers(table: str, layer: str) -> str:
    return f"""
    CREATE TRIGGER {table}_history_insert AFTER INSERT ON {table}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
        EXECUTE FUNCTION mueang_history_record('{layer}', 'geom');
    CREATE TRIGGER {table}_history_update AFTER UPDATE ON {table}
        REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT
        EXECUTE FUNCTION mueang_history_record('{layer}', 'geom');
    CREATE TRIGGER {table}_history_delete AFTER DELETE ON {table}
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
        EXECUTE FUNCTION mueang_history_record('{layer}', 'geom');
    """


def drop_triggers(table: str) -> str:
    return "".join(
        f"DROP TRIGGER IF EXISTS {table}_history_{event} ON {table};"
        for event in ("insert", "update", "delete")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0008_layer_version_sequence"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=20, verbose_name="kind")),
                ("file_name", models.CharField(max_length=255, verbose_name="file")),
                ("started_at", models.DateTimeField(auto_now_add=True, verbose_name="started")),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished"),
                ),
                ("created", models.PositiveIntegerField(default=0, verbose_name="features created")),
                ("updated", models.PositiveIntegerField(default=0, verbose_name="features changed")),
                ("deleted", models.PositiveIntegerField(default=0, verbose_name="features deleted")),
                ("unchanged", models.PositiveIntegerField(default=0, verbose_name="features unchanged")),
                (
                    "rolled_back_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="rolled back"),
                ),
                (
                    "dataset",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="layers.dataset",
                        verbose_name="dataset",
                    ),
                ),
                (
                    "municipality",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        to="layers.municipality",
                        verbose_name="municipality",
                    ),
                ),
                (
                    "rolled_back_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="rolled back by",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="imported by",
                    ),
                ),
            ],
            options={
                "verbose_name": "import",
                "verbose_name_plural": "imports",
                "ordering": ["-started_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="FeatureHistory",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("layer", models.CharField(max_length=20, verbose_name="layer")),
                ("feature_id", models.BigIntegerField(verbose_name="feature")),
                ("dataset_id", models.BigIntegerField(null=True, verbose_name="dataset")),
                (
                    "op",
                    models.CharField(
                        choices=[
                            ("insert", "feature created"),
                            ("update", "feature changed"),
                            ("delete", "feature deleted"),
                        ],
                        max_length=6,
                        verbose_name="change",
                    ),
                ),
                ("changed_at", models.DateTimeField(verbose_name="changed at")),
                ("user_ref", models.BigIntegerField(null=True, verbose_name="user number")),
                (
                    "context",
                    models.CharField(
                        blank=True, default="", max_length=200, verbose_name="context"
                    ),
                ),
                ("old_row", models.JSONField(null=True, verbose_name="row before")),
                (
                    "old_geom",
                    django.contrib.gis.db.models.fields.GeometryField(
                        null=True, spatial_index=False, srid=4326, verbose_name="geometry before"
                    ),
                ),
                ("changed_columns", models.JSONField(null=True, verbose_name="changed columns")),
                (
                    "municipality",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="layers.municipality",
                        verbose_name="municipality",
                    ),
                ),
                (
                    "import_run",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="layers.importrun",
                        verbose_name="import",
                    ),
                ),
            ],
            options={
                "verbose_name": "feature history",
                "verbose_name_plural": "feature history",
                "ordering": ["id"],
            },
        ),
        migrations.AddIndex(
            model_name="importrun",
            index=models.Index(
                fields=["municipality", "dataset", "-started_at"], name="importrun_dataset"
            ),
        ),
        migrations.AddIndex(
            model_name="featurehistory",
            index=models.Index(
                fields=["municipality", "layer", "feature_id", "id"], name="history_feature"
            ),
        ),
        migrations.AddIndex(
            model_name="featurehistory",
            index=models.Index(fields=["dataset_id", "id"], name="history_dataset"),
        ),
        migrations.AddIndex(
            model_name="featurehistory",
            index=models.Index(
                condition=models.Q(("import_run__isnull", False)),
                fields=["import_run"],
                name="history_import",
            ),
        ),
        migrations.RunSQL(enable_rls("layers_importrun"), disable_rls("layers_importrun")),
        migrations.RunSQL(
            enable_rls("layers_featurehistory"), disable_rls("layers_featurehistory")
        ),
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
        *[
            migrations.RunSQL(triggers(table, layer), drop_triggers(table))
            for table, layer in TRACKED.items()
        ],
    ]
