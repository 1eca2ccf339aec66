"""Resident reports (issue 19): tenant tables under row-level security, an append-only access log."""

import django.contrib.gis.db.models.fields
import django.db.models.deletion
import layers.fields
from django.conf import settings
from django.db import migrations, models

from layers.migrations._rls import disable_rls, enable_rls

TENANT_TABLES = [
    "geoapp_servicecategory",
    "geoapp_report",
    "geoapp_reportstatuschange",
    "geoapp_reportphoto",
    "geoapp_reportcontact",
    "geoapp_reportcontactaccess",
    "geoapp_open311key",
]


class Migration(migrations.Migration):

    dependencies = [
        ('geoapp', '0011_dashboard'),
        ('layers', '0016_municipality_population'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReportSubmission',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('address_digest', models.CharField(blank=True, db_index=True, max_length=64)),
                ('contact_digest', models.CharField(blank=True, db_index=True, max_length=64)),
                ('at', models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
            options={
                'verbose_name': 'report submission',
                'verbose_name_plural': 'report submissions',
            },
        ),
        migrations.CreateModel(
            name='Open311Key',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('key_hash', models.CharField(editable=False, max_length=64, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='last used')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='layers.municipality', verbose_name='municipality')),
            ],
            options={
                'verbose_name': 'Open311 API key',
                'verbose_name_plural': 'Open311 API keys',
            },
        ),
        migrations.CreateModel(
            name='Report',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('location', django.contrib.gis.db.models.fields.PointField(srid=4326, verbose_name='location')),
                ('location_accuracy_m', models.FloatField(blank=True, null=True, verbose_name='location accuracy (m)')),
                ('location_source', models.CharField(choices=[('gps', 'Device location (GPS)'), ('pin', 'Pin on the map'), ('api', 'Sent through Open311')], max_length=10, verbose_name='location from')),
                ('address_string', models.CharField(blank=True, max_length=300, verbose_name='address')),
                ('description', models.TextField(max_length=4000, verbose_name='description')),
                ('status', models.CharField(choices=[('received', 'Received'), ('accepted', 'Accepted'), ('in_progress', 'In progress'), ('done', 'Done'), ('forwarded', 'Forwarded to another agency'), ('duplicate', 'Duplicate of another report'), ('rejected', 'Rejected')], default='received', max_length=20, verbose_name='status')),
                ('tracking_code', models.CharField(max_length=20, unique=True, verbose_name='tracking code')),
                ('division', models.CharField(blank=True, max_length=200, verbose_name='division in charge')),
                ('forwarded_to', models.CharField(blank=True, max_length=200, verbose_name='forwarded to')),
                ('follower_count', models.PositiveIntegerField(default=0, verbose_name='residents following')),
                ('needs_review', models.BooleanField(default=False, verbose_name='needs review')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='reported')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed')),
                ('assigned_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assigned to')),
                ('duplicate_of', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='duplicates', to='geoapp.report', verbose_name='duplicate of')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reports', to='layers.municipality', verbose_name='municipality')),
                ('open311_key', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='geoapp.open311key')),
            ],
            options={
                'verbose_name': 'resident report',
                'verbose_name_plural': 'resident reports',
            },
        ),
        migrations.CreateModel(
            name='ReportContact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('reporter', 'Reporter'), ('follower', 'Follower')], max_length=10, verbose_name='role')),
                ('name', layers.fields.EncryptedTextField(blank=True, verbose_name='name')),
                ('phone', layers.fields.EncryptedTextField(blank=True, verbose_name='phone')),
                ('email', layers.fields.EncryptedTextField(blank=True, verbose_name='e-mail')),
                ('phone_digest', models.CharField(blank=True, db_index=True, max_length=64)),
                ('email_digest', models.CharField(blank=True, db_index=True, max_length=64)),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='added')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='layers.municipality', verbose_name='municipality')),
                ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='contacts', to='geoapp.report', verbose_name='report')),
            ],
            options={
                'verbose_name': "reporter's contact",
                'verbose_name_plural': "reporters' contacts",
            },
        ),
        migrations.CreateModel(
            name='ReportContactAccess',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('report_ref', models.BigIntegerField(db_index=True, verbose_name='report number')),
                ('user_ref', models.BigIntegerField(null=True, verbose_name='user number')),
                ('username', models.CharField(max_length=150, verbose_name='username')),
                ('purpose', models.CharField(max_length=200, verbose_name='purpose')),
                ('at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='read at')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='layers.municipality', verbose_name='municipality')),
            ],
            options={
                'verbose_name': 'reporter contact access',
                'verbose_name_plural': 'reporter contact access log',
                'ordering': ['-at'],
            },
        ),
        migrations.CreateModel(
            name='ReportPhoto',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('before', 'Reported'), ('after', 'After the work')], default='before', max_length=10, verbose_name='kind')),
                ('stored_name', models.CharField(max_length=200, unique=True)),
                ('width', models.PositiveIntegerField()),
                ('height', models.PositiveIntegerField()),
                ('size_bytes', models.PositiveIntegerField()),
                ('taken_at_location', django.contrib.gis.db.models.fields.PointField(blank=True, null=True, srid=4326)),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='added')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='layers.municipality', verbose_name='municipality')),
                ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='photos', to='geoapp.report', verbose_name='report')),
            ],
            options={
                'verbose_name': 'report photo',
                'verbose_name_plural': 'report photos',
                'ordering': ['created_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='ReportStatusChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('received', 'Received'), ('accepted', 'Accepted'), ('in_progress', 'In progress'), ('done', 'Done'), ('forwarded', 'Forwarded to another agency'), ('duplicate', 'Duplicate of another report'), ('rejected', 'Rejected')], max_length=20, verbose_name='status')),
                ('public_note', models.TextField(blank=True, verbose_name='note shown publicly')),
                ('at', models.DateTimeField(auto_now_add=True, verbose_name='at')),
                ('by_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='changed by')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='layers.municipality', verbose_name='municipality')),
                ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='history', to='geoapp.report', verbose_name='report')),
            ],
            options={
                'verbose_name': 'report status change',
                'verbose_name_plural': 'report status changes',
                'ordering': ['at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='ServiceCategory',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=40, verbose_name='code')),
                ('name_th', models.CharField(max_length=200, verbose_name='name (Thai)')),
                ('name_en', models.CharField(blank=True, max_length=200, verbose_name='name (English)')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('is_public', models.BooleanField(default=True, verbose_name='reports shown publicly')),
                ('is_active', models.BooleanField(default=True, verbose_name='accepting reports')),
                ('target_days', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='target (days to done)')),
                ('division', models.CharField(blank=True, max_length=200, verbose_name='division in charge')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='service_categories', to='layers.municipality', verbose_name='municipality')),
            ],
            options={
                'verbose_name': 'report category',
                'verbose_name_plural': 'report categories',
                'ordering': ['name_th'],
            },
        ),
        migrations.AddField(
            model_name='report',
            name='category',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reports', to='geoapp.servicecategory', verbose_name='category'),
        ),
        migrations.AddConstraint(
            model_name='servicecategory',
            constraint=models.UniqueConstraint(fields=('municipality', 'code'), name='servicecategory_unique_code'),
        ),
        migrations.AddIndex(
            model_name='report',
            index=models.Index(fields=['municipality', 'status', '-created_at'], name='report_queue'),
        ),
        migrations.RunSQL(
            "".join(enable_rls(table) for table in TENANT_TABLES),
            "".join(disable_rls(table) for table in TENANT_TABLES),
        ),
        # Like the case personal data access log (layers 0003): nobody rewrites who read what.
        migrations.RunSQL(
            """
            CREATE TRIGGER reportcontactaccess_append_only
                BEFORE UPDATE OR DELETE OR TRUNCATE ON geoapp_reportcontactaccess
                FOR EACH STATEMENT EXECUTE FUNCTION mueang_refuse_change();
            """,
            "DROP TRIGGER IF EXISTS reportcontactaccess_append_only ON geoapp_reportcontactaccess;",
        ),
    ]
