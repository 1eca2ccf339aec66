"""The compensation register (issue 21): relief rates, claims, steps, payments, personal data,
photos; every table under forced row-level security."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import layers.fields
from layers.migrations._rls import disable_rls, enable_rls

TENANT_TABLES = [
    "layers_reliefrate",
    "layers_reliefclaim",
    "layers_reliefclaimitem",
    "layers_reliefclaimstep",
    "layers_reliefpayment",
    "layers_reliefclaimpersonal",
    "layers_reliefclaimphoto",
]


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0021_editing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="personaldataaccess",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("investigation", "Disease investigation"),
                    ("contact", "Contacting the patient or household"),
                    ("spraying", "Coordinating spraying at the house"),
                    ("data_subject_request", "Data subject request (PDPA)"),
                    ("relief", "Flood relief claim (compensation register)"),
                ],
                max_length=30,
                verbose_name="purpose",
            ),
        ),
        migrations.CreateModel(
            name="ReliefClaim",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("event", models.CharField(max_length=200, verbose_name="event")),
                (
                    "subdistrict_code",
                    models.CharField(blank=True, max_length=10, verbose_name="subdistrict"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("filed", "Filed"),
                            ("surveyed", "Surveyed"),
                            ("approved", "Approved by the committee"),
                            ("paid", "Paid"),
                            ("rejected", "Rejected"),
                        ],
                        default="filed",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "meeting_date",
                    models.DateField(blank=True, null=True, verbose_name="committee meeting date"),
                ),
                (
                    "rejection_reason",
                    models.TextField(blank=True, verbose_name="reason for rejection"),
                ),
                ("person_digest", models.CharField(blank=True, db_index=True, max_length=64)),
                ("filed_at", models.DateTimeField(auto_now_add=True, verbose_name="filed at")),
                (
                    "building",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="relief_claims",
                        to="layers.building",
                        verbose_name="building",
                    ),
                ),
                (
                    "filed_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="filed by",
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
            ],
            options={
                "verbose_name": "relief claim",
                "verbose_name_plural": "relief claims",
                "ordering": ["-filed_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="ReliefClaimItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "item",
                    models.CharField(
                        choices=[
                            ("house", "House (repair)"),
                            ("belongings", "Household belongings"),
                            ("crops", "Crops"),
                            ("livestock", "Livestock"),
                            ("income", "Loss of income"),
                        ],
                        max_length=20,
                        verbose_name="item",
                    ),
                ),
                (
                    "description",
                    models.CharField(blank=True, max_length=300, verbose_name="what was damaged"),
                ),
                (
                    "estimate_baht",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=12,
                        null=True,
                        verbose_name="estimate (damage model, baht)",
                    ),
                ),
                (
                    "surveyed_baht",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=12,
                        null=True,
                        verbose_name="surveyed (baht)",
                    ),
                ),
                (
                    "approved_baht",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=12,
                        null=True,
                        verbose_name="approved (baht)",
                    ),
                ),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="layers.reliefclaim",
                        verbose_name="claim",
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
            ],
            options={
                "verbose_name": "claimed item",
                "verbose_name_plural": "claimed items",
                "ordering": ["claim", "id"],
            },
        ),
        migrations.CreateModel(
            name="ReliefClaimPersonal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("full_name", layers.fields.EncryptedTextField(verbose_name="full name")),
                (
                    "national_id",
                    layers.fields.EncryptedTextField(blank=True, verbose_name="national ID"),
                ),
                ("phone", layers.fields.EncryptedTextField(blank=True, verbose_name="phone")),
                ("address", layers.fields.EncryptedTextField(blank=True, verbose_name="address")),
                ("national_id_digest", models.CharField(blank=True, db_index=True, max_length=64)),
                ("phone_digest", models.CharField(blank=True, db_index=True, max_length=64)),
                (
                    "claim",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="personal",
                        to="layers.reliefclaim",
                        verbose_name="claim",
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
            ],
            options={
                "verbose_name": "personal data of a claimant",
                "verbose_name_plural": "personal data of claimants",
            },
        ),
        migrations.CreateModel(
            name="ReliefClaimPhoto",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("stored_name", models.CharField(max_length=200, unique=True)),
                ("width", models.PositiveIntegerField()),
                ("height", models.PositiveIntegerField()),
                (
                    "uploaded_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="uploaded at"),
                ),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="photos",
                        to="layers.reliefclaim",
                        verbose_name="claim",
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
                    "uploaded_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="uploaded by",
                    ),
                ),
            ],
            options={
                "verbose_name": "claim photo",
                "verbose_name_plural": "claim photos",
                "ordering": ["uploaded_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="ReliefClaimStep",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("filed", "Filed"),
                            ("surveyed", "Surveyed"),
                            ("approved", "Approved by the committee"),
                            ("paid", "Paid"),
                            ("rejected", "Rejected"),
                        ],
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("user_ref", models.BigIntegerField(null=True, verbose_name="user number")),
                ("username", models.CharField(max_length=150, verbose_name="by")),
                ("at", models.DateTimeField(auto_now_add=True, verbose_name="at")),
                (
                    "meeting_date",
                    models.DateField(blank=True, null=True, verbose_name="committee meeting date"),
                ),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="note")),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="steps",
                        to="layers.reliefclaim",
                        verbose_name="claim",
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
            ],
            options={
                "verbose_name": "claim step",
                "verbose_name_plural": "claim steps",
                "ordering": ["at", "id"],
            },
        ),
        migrations.CreateModel(
            name="ReliefPayment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "amount_baht",
                    models.DecimalField(
                        decimal_places=2, max_digits=12, verbose_name="amount (baht)"
                    ),
                ),
                ("paid_on", models.DateField(verbose_name="paid on")),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("transfer", "Bank transfer"),
                            ("cheque", "Cheque"),
                            ("cash", "Cash"),
                        ],
                        max_length=10,
                        verbose_name="payment method",
                    ),
                ),
                (
                    "reference",
                    models.CharField(blank=True, max_length=100, verbose_name="reference"),
                ),
                (
                    "recorded_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="recorded at"),
                ),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="layers.reliefclaim",
                        verbose_name="claim",
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
                    "recorded_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
            ],
            options={
                "verbose_name": "relief payment",
                "verbose_name_plural": "relief payments",
                "ordering": ["paid_on", "id"],
            },
        ),
        migrations.CreateModel(
            name="ReliefRate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("event", models.CharField(max_length=200, verbose_name="event")),
                (
                    "item",
                    models.CharField(
                        choices=[
                            ("house", "House (repair)"),
                            ("belongings", "Household belongings"),
                            ("crops", "Crops"),
                            ("livestock", "Livestock"),
                            ("income", "Loss of income"),
                        ],
                        max_length=20,
                        verbose_name="item",
                    ),
                ),
                ("unit", models.CharField(max_length=100, verbose_name="unit")),
                (
                    "amount_baht",
                    models.DecimalField(
                        decimal_places=2, max_digits=12, verbose_name="amount per unit (baht)"
                    ),
                ),
                (
                    "cap_baht",
                    models.DecimalField(
                        decimal_places=2, max_digits=12, verbose_name="cap per household (baht)"
                    ),
                ),
                (
                    "document_ref",
                    models.CharField(
                        max_length=300, verbose_name="regulation or document reference"
                    ),
                ),
                (
                    "is_example",
                    models.BooleanField(default=False, verbose_name="example rate (not official)"),
                ),
                ("saved_at", models.DateTimeField(auto_now_add=True, verbose_name="saved at")),
                (
                    "municipality",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        to="layers.municipality",
                        verbose_name="municipality",
                    ),
                ),
                (
                    "saved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="saved by",
                    ),
                ),
            ],
            options={
                "verbose_name": "relief rate",
                "verbose_name_plural": "relief rates",
                "ordering": ["-saved_at", "-id"],
            },
        ),
        migrations.AddIndex(
            model_name="reliefclaim",
            index=models.Index(
                fields=["municipality", "event", "status"], name="layers_reli_municip_3a9a98_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="reliefclaim",
            index=models.Index(
                fields=["municipality", "event", "building"], name="layers_reli_municip_ab2fac_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="reliefclaimitem",
            constraint=models.UniqueConstraint(
                fields=("claim", "item"), name="reliefclaimitem_unique_item"
            ),
        ),
        migrations.AddConstraint(
            model_name="reliefclaimitem",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("surveyed_baht__isnull", True),
                    models.Q(("surveyed_baht__gte", 0), ("surveyed_baht__lte", 100000000)),
                    _connector="OR",
                ),
                name="reliefclaimitem_surveyed_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="reliefclaimitem",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("approved_baht__isnull", True), ("approved_baht__gte", 0), _connector="OR"
                ),
                name="reliefclaimitem_approved_not_negative",
            ),
        ),
        migrations.AddConstraint(
            model_name="reliefpayment",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_baht__gt", 0), ("amount_baht__lte", 100000000)),
                name="reliefpayment_amount_range",
            ),
        ),
        migrations.AddIndex(
            model_name="reliefrate",
            index=models.Index(
                fields=["municipality", "event", "item", "-saved_at"],
                name="layers_reli_municip_05d75d_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="reliefrate",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_baht__gte", 0), ("amount_baht__lte", 100000000)),
                name="reliefrate_amount_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="reliefrate",
            constraint=models.CheckConstraint(
                condition=models.Q(("cap_baht__gte", 0), ("cap_baht__lte", 100000000)),
                name="reliefrate_cap_range",
            ),
        ),
    ] + [migrations.RunSQL(enable_rls(table), disable_rls(table)) for table in TENANT_TABLES]
