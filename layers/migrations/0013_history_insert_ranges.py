"""Inserts in the feature history: one entry per statement and dataset, keys as ranges.

An import of a million rows wrote a million history rows (a fifth of its time); the keys one
INSERT statement creates are nearly always consecutive, so `inserted_ids` (int8multirange)
holds them in a few ranges and `feature_id` stays NULL for such entries. Updates and deletes
keep one entry per feature. Entries written before this migration keep their `feature_id`;
readers take both forms (`layers.history`).
"""

import layers.models
from django.db import migrations, models

RANGES = r'''
CREATE OR REPLACE FUNCTION mueang_history_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who bigint := mueang_setting_bigint('mueang.user_id');
    run bigint := mueang_setting_bigint('mueang.import_id');
    why text := left(coalesce(current_setting('mueang.change', true), ''), 200);
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The new rows are the new state: their keys are enough, as ranges.
        INSERT INTO layers_featurehistory (municipality_id, layer, feature_id, inserted_ids,
            dataset_id, op, changed_at, user_ref, import_run_id, context)
        SELECT n.municipality_id, TG_ARGV[0], NULL, range_agg(int8range(n.id, n.id, '[]')),
               n.dataset_id, 'insert', now(), who, run, why
        FROM new_rows n GROUP BY n.municipality_id, n.dataset_id;
    ELSE
        EXECUTE mueang_history_sql(TG_RELID, TG_ARGV[1], lower(TG_OP))
            USING TG_ARGV[0], who, run, why;
    END IF;
    RETURN NULL;
END $$;
CREATE INDEX history_inserted ON layers_featurehistory USING gist (inserted_ids)
    WHERE inserted_ids IS NOT NULL;

CREATE OR REPLACE FUNCTION mueang_history_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Depth 1 is a statement on the history table itself; the layer triggers write at depth 2.
    IF TG_OP = 'INSERT' AND pg_trigger_depth() > 1 THEN
        RETURN NULL;
    END IF;
    -- PDPA erasure and retention delete a case's entries and take its key out of the insert
    -- entries' ranges.
    IF TG_OP IN ('DELETE', 'UPDATE') AND current_setting('mueang.history_erase', true) = 'pdpa'
    THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'feature history is written by triggers only and erased only for PDPA (%)',
        TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
'''

# Going back would have to split range entries into one row per key, after every later change
# in id order; rather than reorder history, it refuses while such entries exist.
PER_ROW = r'''
DO $$
BEGIN
    PERFORM set_config('mueang.tenants',
                       (SELECT string_agg(id::text, ',') FROM layers_municipality), true);
    IF EXISTS (SELECT 1 FROM layers_featurehistory WHERE inserted_ids IS NOT NULL) THEN
        RAISE EXCEPTION 'feature history holds insert entries with key ranges: '
                        'this migration cannot be reversed without reordering history';
    END IF;
    PERFORM set_config('mueang.tenants', '', true);
END $$;
DROP INDEX IF EXISTS history_inserted;
CREATE OR REPLACE FUNCTION mueang_history_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who bigint := mueang_setting_bigint('mueang.user_id');
    run bigint := mueang_setting_bigint('mueang.import_id');
    why text := left(coalesce(current_setting('mueang.change', true), ''), 200);
BEGIN
    IF TG_OP = 'INSERT' THEN
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

CREATE OR REPLACE FUNCTION mueang_history_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Depth 1 is a statement on the history table itself; the layer triggers write at depth 2.
    IF TG_OP = 'INSERT' AND pg_trigger_depth() > 1 THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' AND current_setting('mueang.history_erase', true) = 'pdpa'
    THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'feature history is written by triggers only and erased only for PDPA (%)',
        TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
'''


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0012_feature_keys_per_statement'),
    ]

    operations = [
        migrations.AddField(
            model_name='featurehistory',
            name='inserted_ids',
            field=layers.models.KeyRangesField(null=True, verbose_name='features created'),
        ),
        migrations.AlterField(
            model_name='featurehistory',
            name='feature_id',
            field=models.BigIntegerField(null=True, verbose_name='feature'),
        ),
        migrations.RunSQL(RANGES, PER_ROW),
    ]
