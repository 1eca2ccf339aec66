"""Larval survey views for the OGC API (issue 18, office side): house visits and place indices.

Both views are `security_invoker`: the survey tables' forced row-level security applies to the
reader, not to the view's owner. The rule is decision 0016's, as in `layers/field/sql.py`.
"""

import django.contrib.gis.db.models.fields
from django.db import migrations, models


VIEWS_SQL = """
CREATE VIEW layers_larvalvisit WITH (security_invoker = true) AS
WITH visits AS (
    SELECT s.id, s.municipality_id, s.place_id, s.round_number, s.status, s.surveyed_at,
           CASE WHEN s.building_id IS NOT NULL THEN 'b' || s.building_id
                ELSE 'p' || s.place_id || ':' || s.house_number END AS house,
           p.name AS place, p.kind AS place_type,
           ST_PointOnSurface(COALESCE(b.geom, p.geom)) AS geom,
           COALESCE(sum(c.containers), 0)::integer AS containers,
           COALESCE(sum(c.positive), 0)::integer AS containers_positive
      FROM layers_housesurvey s
      JOIN layers_surveyplace p ON p.id = s.place_id
      LEFT JOIN layers_building b ON b.id = s.building_id
      LEFT JOIN layers_larvalcontainercount c ON c.survey_id = s.id
     GROUP BY s.id, p.name, p.kind, b.geom, p.geom
)
SELECT v.*,
       (v.surveyed_at AT TIME ZONE 'Asia/Bangkok')::date AS surveyed_on,
       row_number() OVER (
           PARTITION BY v.house, v.round_number
           ORDER BY v.status = 'surveyed' DESC, v.surveyed_at DESC, v.id DESC
       ) > 1 AS is_repeat
  FROM visits v;

CREATE VIEW layers_larvalhousevisit WITH (security_invoker = true) AS
SELECT id, municipality_id, place, place_type, round_number, surveyed_on, status, containers,
       containers_positive, is_repeat, geom::geometry(Point, 4326) AS geom
  FROM layers_larvalvisit
 WHERE geom IS NOT NULL;

CREATE VIEW layers_larvalplaceround WITH (security_invoker = true) AS
WITH counted AS (
    SELECT * FROM layers_larvalvisit WHERE NOT is_repeat
), sums AS (
    SELECT place_id, municipality_id, round_number,
           min(surveyed_on) AS first_day, max(surveyed_on) AS last_day,
           count(*) FILTER (WHERE status = 'surveyed')::integer AS houses_surveyed,
           count(*) FILTER (WHERE status = 'surveyed' AND containers_positive > 0)::integer
               AS houses_positive,
           COALESCE(sum(containers) FILTER (WHERE status = 'surveyed'), 0)::integer AS containers,
           COALESCE(sum(containers_positive) FILTER (WHERE status = 'surveyed'), 0)::integer
               AS containers_positive,
           count(*) FILTER (WHERE status = 'vacant')::integer AS houses_vacant,
           count(*) FILTER (WHERE status = 'closed')::integer AS houses_closed,
           count(*) FILTER (WHERE status = 'refused')::integer AS houses_refused
      FROM counted
     GROUP BY place_id, municipality_id, round_number
), indices AS (
    SELECT s.*, p.name AS place, p.kind AS place_type, p.geom,
           CASE WHEN houses_surveyed > 0
                THEN 100.0 * houses_positive / houses_surveyed END AS hi,
           CASE WHEN containers > 0 THEN 100.0 * containers_positive / containers END AS ci,
           CASE WHEN houses_surveyed > 0
                THEN 100.0 * containers_positive / houses_surveyed END AS bi
      FROM sums s JOIN layers_surveyplace p ON p.id = s.place_id
     WHERE p.geom IS NOT NULL
)
SELECT i.place_id::bigint * 100000 + i.round_number AS id, i.municipality_id, i.place,
       i.place_type, i.round_number, i.first_day, i.last_day, i.houses_surveyed,
       i.houses_positive, i.containers, i.containers_positive, i.houses_vacant,
       i.houses_closed, i.houses_refused,
       round(i.hi, 2)::float8 AS hi, round(i.ci, 2)::float8 AS ci, round(i.bi, 2)::float8 AS bi,
       CASE WHEN v.value IS NULL THEN NULL
            WHEN v.value <= v.low THEN 'low'
            WHEN v.value <= v.moderate THEN 'moderate'
            ELSE 'high' END AS risk_level,
       i.geom::geometry(Point, 4326) AS geom
  FROM indices i
  LEFT JOIN LATERAL (
      SELECT b.hi_low_max, b.hi_moderate_max, b.ci_low_max, b.ci_moderate_max
        FROM layers_larvalriskbands b
       WHERE b.municipality_id = i.municipality_id
       ORDER BY b.saved_at DESC, b.id DESC
       LIMIT 1
  ) AS saved ON true
  CROSS JOIN LATERAL (
      SELECT CASE WHEN i.place_type = 'community' THEN i.hi ELSE i.ci END AS value,
             CASE WHEN i.place_type = 'community' THEN COALESCE(saved.hi_low_max, 10)
                  ELSE COALESCE(saved.ci_low_max, 0) END AS low,
             CASE WHEN i.place_type = 'community' THEN COALESCE(saved.hi_moderate_max, 50)
                  ELSE COALESCE(saved.ci_moderate_max, 5) END AS moderate
  ) AS v;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0023_field_sync'),
    ]

    operations = [
        migrations.RunSQL(VIEWS_SQL, "DROP VIEW layers_larvalplaceround; DROP VIEW layers_larvalhousevisit; DROP VIEW layers_larvalvisit;"),
        migrations.CreateModel(
            name='LarvalHouseVisit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('place', models.CharField(max_length=200, verbose_name='place')),
                ('place_type', models.CharField(max_length=20, verbose_name='kind of place')),
                ('round_number', models.PositiveSmallIntegerField(verbose_name='round')),
                ('surveyed_on', models.DateField(verbose_name='surveyed on')),
                ('status', models.CharField(max_length=10, verbose_name='status')),
                ('containers', models.IntegerField(verbose_name='containers')),
                ('containers_positive', models.IntegerField(verbose_name='containers with larvae')),
                ('is_repeat', models.BooleanField(verbose_name='repeat visit (not counted)')),
                ('geom', django.contrib.gis.db.models.fields.PointField(srid=4326, verbose_name='location')),
            ],
            options={
                'verbose_name': 'larval survey house visit',
                'verbose_name_plural': 'larval survey house visits',
                'db_table': 'layers_larvalhousevisit',
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='LarvalPlaceRound',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('place', models.CharField(max_length=200, verbose_name='place')),
                ('place_type', models.CharField(max_length=20, verbose_name='kind of place')),
                ('round_number', models.PositiveSmallIntegerField(verbose_name='round')),
                ('first_day', models.DateField(verbose_name='first day surveyed')),
                ('last_day', models.DateField(verbose_name='last day surveyed')),
                ('houses_surveyed', models.IntegerField(verbose_name='houses surveyed')),
                ('houses_positive', models.IntegerField(verbose_name='houses with larvae')),
                ('containers', models.IntegerField(verbose_name='containers')),
                ('containers_positive', models.IntegerField(verbose_name='containers with larvae')),
                ('houses_vacant', models.IntegerField(verbose_name='vacant houses')),
                ('houses_closed', models.IntegerField(verbose_name='closed houses')),
                ('houses_refused', models.IntegerField(verbose_name='refusals')),
                ('hi', models.FloatField(null=True, verbose_name='HI')),
                ('ci', models.FloatField(null=True, verbose_name='CI')),
                ('bi', models.FloatField(null=True, verbose_name='BI')),
                ('risk_level', models.CharField(max_length=10, null=True, verbose_name='risk level')),
                ('geom', django.contrib.gis.db.models.fields.PointField(srid=4326, verbose_name='location')),
            ],
            options={
                'verbose_name': 'larval indices per place and round',
                'verbose_name_plural': 'larval indices per place and round',
                'db_table': 'layers_larvalplaceround',
                'managed': False,
            },
        ),
    ]
