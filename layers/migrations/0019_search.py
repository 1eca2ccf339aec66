"""The header search: pg_trgm and trigram indexes on the searched names (decision 0014).

pg_trgm is a trusted extension: the application role creates it as the database owner, so a
test database built by migrating gets it too.
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


def _name_index(model: str, name: str, fields: list[str]) -> migrations.AddIndex:
    return migrations.AddIndex(
        model_name=model,
        index=django.contrib.postgres.indexes.GinIndex(
            fields=fields, name=name, opclasses=["gin_trgm_ops"] * len(fields)
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0018_dengue_work"),
    ]

    operations = [
        TrigramExtension(),
        _name_index("subdistrict", "subdistrict_search_trgm", ["name_th", "name_en"]),
        _name_index("dataset", "dataset_search_trgm", ["title"]),
        _name_index("road", "road_search_trgm", ["name_th", "name_en"]),
        _name_index("landmark", "landmark_search_trgm", ["name_th", "name_en"]),
        _name_index("denguecase", "denguecase_search_trgm", ["source_id"]),
    ]
