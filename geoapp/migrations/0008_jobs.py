"""Background jobs (geoapp.jobs): a queue in PostgreSQL, tenant-scoped by row-level security."""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models

from layers.migrations._rls import disable_rls, enable_rls


class Migration(migrations.Migration):
    dependencies = [
        ("geoapp", "0004_api_token"),
        ("layers", "0008_layer_version_sequence"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Job",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("kind", models.CharField(max_length=40, verbose_name="kind")),
                ("params", models.JSONField(default=dict, verbose_name="parameters")),
                ("language", models.CharField(default="th", max_length=8)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Waiting"),
                            ("running", "Running"),
                            ("succeeded", "Finished"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="queued",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("done", models.BigIntegerField(default=0)),
                ("total", models.BigIntegerField(blank=True, null=True)),
                ("message", models.TextField(blank=True)),
                ("cancel_requested", models.BooleanField(default=False)),
                ("result", models.JSONField(blank=True, null=True)),
                ("error", models.TextField(blank=True)),
                ("worker", models.CharField(blank=True, max_length=100)),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="submitted")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started")),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished"),
                ),
                ("heartbeat_at", models.DateTimeField(blank=True, null=True)),
                (
                    "municipality",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="jobs",
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
                        related_name="jobs",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="submitted by",
                    ),
                ),
            ],
            options={
                "verbose_name": "background job",
                "verbose_name_plural": "background jobs",
                "indexes": [
                    models.Index(
                        condition=models.Q(("status", "queued")),
                        fields=["created_at"],
                        name="job_queued",
                    ),
                    models.Index(fields=["municipality", "-created_at"], name="job_recent"),
                ],
            },
        ),
        migrations.RunSQL(enable_rls("geoapp_job"), disable_rls("geoapp_job")),
    ]
