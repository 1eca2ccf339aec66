"""Layer versions come from a sequence, so a rolled-back change never hands its number on.

With `version + 1`, a transaction that bumped a version and rolled back left the number free
for the next change, and anything cached under it (rendered maps, tiles) looked current again.
Sequence values are never reused, whatever happens to the transaction that took them.
"""

from django.db import migrations

FORWARD = """
CREATE SEQUENCE IF NOT EXISTS mueang_layer_version_seq;
CREATE OR REPLACE FUNCTION mueang_bump_versions(layer text, municipality_ids bigint[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO layers_layerversion (municipality_id, layer, version)
    SELECT m, layer, nextval('mueang_layer_version_seq')
    FROM (SELECT DISTINCT unnest(municipality_ids) AS m) AS ids
    ON CONFLICT (municipality_id, layer)
    DO UPDATE SET version = nextval('mueang_layer_version_seq');
$$;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION mueang_bump_versions(layer text, municipality_ids bigint[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO layers_layerversion (municipality_id, layer, version)
    SELECT DISTINCT m, layer, 1 FROM unnest(municipality_ids) AS m
    ON CONFLICT (municipality_id, layer)
    DO UPDATE SET version = layers_layerversion.version + 1;
$$;
DROP SEQUENCE IF EXISTS mueang_layer_version_seq;
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0007_personal_data_digests")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
