"""Feature keys checked per statement instead of per row (see `layers.models.FeatureModel`).

The foreign-key constraints of the layer tables' municipality and dataset columns go; in their
place, statement-level triggers with transition tables:

- after INSERT or UPDATE of a layer table: every distinct (municipality, dataset) pair of the
  new rows is checked once, and each parent locked once with FOR KEY SHARE (what a foreign key
  does for every row), so neither can be deleted until this transaction ends. The dataset must
  belong to the feature's municipality, which a foreign key could not say.
- after DELETE of municipalities or datasets: none may still have features (a dataset is
  PROTECTed, a municipality's features are deleted first by Django's CASCADE). Row-level
  security would hide another municipality's features from the check, so it looks with the
  deleted municipalities in scope; a dataset's features are in its own municipality, which the
  deleting transaction sees.
- changing the id of a municipality or dataset is refused.

Errors use SQLSTATE 23503 (foreign_key_violation), as the constraints did, so Django raises
IntegrityError.
"""

import django.db.models.deletion
from django.db import migrations, models

from layers.migrations._feature_keys import (
    FEATURE_TABLES,
    KEY_FUNCTIONS,
    KEY_FUNCTIONS_DROP,
    key_triggers,
)


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0011_feature_paging_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='building',
            name='dataset',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, to='layers.dataset', verbose_name='dataset'),
        ),
        migrations.AlterField(
            model_name='building',
            name='municipality',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, to='layers.municipality', verbose_name='municipality'),
        ),
        migrations.AlterField(
            model_name='denguecase',
            name='dataset',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, to='layers.dataset', verbose_name='dataset'),
        ),
        migrations.AlterField(
            model_name='denguecase',
            name='municipality',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, to='layers.municipality', verbose_name='municipality'),
        ),
        migrations.AlterField(
            model_name='floodzone',
            name='dataset',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, to='layers.dataset', verbose_name='dataset'),
        ),
        migrations.AlterField(
            model_name='floodzone',
            name='municipality',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, to='layers.municipality', verbose_name='municipality'),
        ),
        migrations.AlterField(
            model_name='landmark',
            name='dataset',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, to='layers.dataset', verbose_name='dataset'),
        ),
        migrations.AlterField(
            model_name='landmark',
            name='municipality',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, to='layers.municipality', verbose_name='municipality'),
        ),
        migrations.AlterField(
            model_name='road',
            name='dataset',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, to='layers.dataset', verbose_name='dataset'),
        ),
        migrations.AlterField(
            model_name='road',
            name='municipality',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, to='layers.municipality', verbose_name='municipality'),
        ),
        migrations.RunSQL(KEY_FUNCTIONS, KEY_FUNCTIONS_DROP),
        *[migrations.RunSQL(*key_triggers(table)) for table in FEATURE_TABLES],
    ]
