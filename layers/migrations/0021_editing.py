"""Dataset events: a deleted dataset, or one removed with its import's rollback, stays in history.

Row-level security as on every tenant table. (Numbered 0021 for the integrator to re-chain.)
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from layers.migrations._rls import disable_rls, enable_rls


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0020_larval"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DatasetEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("dataset_ref", models.BigIntegerField(verbose_name="dataset number")),
                ("slug", models.SlugField(max_length=80, verbose_name="identifier")),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                ("kind", models.CharField(max_length=20, verbose_name="kind")),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("deleted", "dataset deleted"),
                            (
                                "rolled_back",
                                "dataset removed with the rollback of its import",
                            ),
                        ],
                        max_length=12,
                        verbose_name="action",
                    ),
                ),
                (
                    "features",
                    models.PositiveIntegerField(default=0, verbose_name="features removed"),
                ),
                (
                    "import_ref",
                    models.BigIntegerField(blank=True, null=True, verbose_name="import number"),
                ),
                ("at", models.DateTimeField(auto_now_add=True, verbose_name="when")),
                (
                    "municipality",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        to="layers.municipality",
                        verbose_name="municipality",
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
                        verbose_name="by",
                    ),
                ),
            ],
            options={
                "verbose_name": "dataset event",
                "verbose_name_plural": "dataset events",
                "ordering": ["-at", "-id"],
                "indexes": [
                    models.Index(fields=["municipality", "-at"], name="datasetevent_recent")
                ],
            },
        ),
        migrations.RunSQL(enable_rls("layers_datasetevent"), disable_rls("layers_datasetevent")),
    ]
