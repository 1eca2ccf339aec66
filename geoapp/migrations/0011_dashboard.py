"""Per-municipality home page settings, under row-level security like every tenant table."""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from layers.migrations._rls import disable_rls, enable_rls


class Migration(migrations.Migration):

    dependencies = [
        ('geoapp', '0010_totp'),
        ('layers', '0002_row_level_security'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DashboardConfig',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('widgets', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('map', 'Map'), ('roads_by_class', 'Road length by class'), ('roads_by_surface', 'Road length by surface'), ('landmarks_by_category', 'Landmarks by category'), ('data_freshness', 'Data freshness by division'), ('recent_changes', 'Recent changes'), ('layer_counts', 'Other layers')], max_length=40), blank=True, default=list, size=None, verbose_name='widgets, in order')),
                ('map_layers', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('roads', 'Roads'), ('landmarks', 'Landmarks'), ('flood_zones', 'Flood zones'), ('subdistricts', 'Subdistricts')], max_length=40), blank=True, default=list, size=None, verbose_name='map layers shown at first')),
                ('stale_after_days', models.PositiveIntegerField(default=365, verbose_name='data is stale after (days)')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('municipality', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='dashboard_config', to='layers.municipality', verbose_name='municipality')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
            ],
            options={
                'verbose_name': 'dashboard settings',
                'verbose_name_plural': 'dashboard settings',
            },
        ),
        migrations.RunSQL(
            enable_rls('geoapp_dashboardconfig'), disable_rls('geoapp_dashboardconfig')
        ),
    ]
