"""The health officer's daily work: 3-3-1 steps on cases, the paper spray report on rounds.

Cases get when and by whom the investigation, the removal of breeding sites and the spraying
were done; rounds get the fields of the paper report, a withdrawal instead of a deletion (the
unique round then only binds rounds not withdrawn) and `SprayRoundChange`, the history of
their corrections, under row-level security as every tenant table.
"""

import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models

from layers.migrations._rls import disable_rls, enable_rls


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0017_flood_damage"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SprayRoundChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("corrected", "corrected"), ("withdrawn", "withdrawn")],
                        max_length=10,
                        verbose_name="change",
                    ),
                ),
                ("reason", models.CharField(max_length=300, verbose_name="reason")),
                ("changed", models.JSONField(default=list, verbose_name="changed fields")),
                ("before", models.JSONField(default=dict, verbose_name="before")),
                ("user_ref", models.BigIntegerField(null=True, verbose_name="user number")),
                ("username", models.CharField(max_length=150, verbose_name="username")),
                ("at", models.DateTimeField(auto_now_add=True, verbose_name="changed at")),
            ],
            options={
                "verbose_name": "spray round change",
                "verbose_name_plural": "spray round changes",
                "ordering": ["at", "id"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="sprayround",
            name="sprayround_unique_round",
        ),
        migrations.AddField(
            model_name="denguecase",
            name="breeding_sites_removed_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="breeding sites removed at"
            ),
        ),
        migrations.AddField(
            model_name="denguecase",
            name="breeding_sites_removed_by",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                max_length=150,
                verbose_name="breeding sites removed by",
            ),
        ),
        migrations.AddField(
            model_name="denguecase",
            name="investigated_by",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                max_length=150,
                verbose_name="investigated by",
            ),
        ),
        migrations.AddField(
            model_name="denguecase",
            name="sprayed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sprayed at"),
        ),
        migrations.AddField(
            model_name="denguecase",
            name="sprayed_by",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=150, verbose_name="sprayed by"
            ),
        ),
        migrations.AddField(
            model_name="sprayround",
            name="chemical",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=100, verbose_name="chemical"
            ),
        ),
        migrations.AddField(
            model_name="sprayround",
            name="done_at",
            field=models.TimeField(blank=True, null=True, verbose_name="time"),
        ),
        migrations.AddField(
            model_name="sprayround",
            name="households_closed",
            field=models.PositiveIntegerField(
                db_default=0, default=0, verbose_name="households closed"
            ),
        ),
        migrations.AddField(
            model_name="sprayround",
            name="households_refused",
            field=models.PositiveIntegerField(
                db_default=0, default=0, verbose_name="households refused"
            ),
        ),
        migrations.AddField(
            model_name="sprayround",
            name="households_sprayed",
            field=models.PositiveIntegerField(
                db_default=0, default=0, verbose_name="households sprayed"
            ),
        ),
        migrations.AddField(
            model_name="sprayround",
            name="households_targeted",
            field=models.PositiveIntegerField(
                db_default=0, default=0, verbose_name="households targeted"
            ),
        ),
        migrations.AddField(
            model_name="sprayround",
            name="method",
            field=models.CharField(
                blank=True,
                choices=[
                    ("ulv", "ULV (cold fogging)"),
                    ("thermal", "Thermal fogging"),
                    ("residual", "Residual spraying"),
                    ("other", "Other"),
                ],
                db_default="",
                default="",
                max_length=10,
                verbose_name="method",
            ),
        ),
        migrations.AddField(
            model_name="sprayround",
            name="withdrawn",
            field=models.BooleanField(db_default=False, default=False, verbose_name="withdrawn"),
        ),
        migrations.AddField(
            model_name="sprayround",
            name="withdrawn_reason",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                max_length=300,
                verbose_name="reason for withdrawal",
            ),
        ),
        migrations.AddConstraint(
            model_name="sprayround",
            constraint=models.UniqueConstraint(
                condition=models.Q(("withdrawn", False)),
                fields=("municipality", "zone_key", "round_number", "planned_date"),
                name="sprayround_unique_round",
            ),
        ),
        migrations.AddConstraint(
            model_name="sprayround",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "households_targeted__gte",
                        django.db.models.expressions.CombinedExpression(
                            django.db.models.expressions.CombinedExpression(
                                models.F("households_sprayed"), "+", models.F("households_refused")
                            ),
                            "+",
                            models.F("households_closed"),
                        ),
                    )
                ),
                name="sprayround_households_add_up",
            ),
        ),
        migrations.AddField(
            model_name="sprayroundchange",
            name="municipality",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                to="layers.municipality",
                verbose_name="municipality",
            ),
        ),
        migrations.AddField(
            model_name="sprayroundchange",
            name="spray_round",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="changes",
                to="layers.sprayround",
                verbose_name="spray round",
            ),
        ),
        migrations.RunSQL(
            enable_rls("layers_sprayroundchange"), disable_rls("layers_sprayroundchange")
        ),
    ]
