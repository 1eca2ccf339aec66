"""Zones and clusters carry the names people use (issue 17), never a hash code as their label.

The main street and the subdistrict are checked against PostGIS: the same question asked in SQL
over the published outline (ST_Intersection lengths summed per name; ST_Contains of its centre).
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection

from analysis.placenames import short_road_name
from layers.dengue.selectors import (
    cluster_names,
    cluster_summaries,
    dengue_situation,
    spray_plan,
    zone_names,
)
from layers.models import DengueCase
from tests.geoapp.test_dengue_pages import PLAN_DAY, client_for, url

ZONE_KEY = re.compile(r"\bz[0-9a-f]{10}\b")


def visible_text(page: str) -> str:
    """The page as a person reads it: no tags, no attributes (URLs keep the keys)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def sql_main_road(outline_wkt: str, srid: int, municipality_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT name FROM (
              SELECT NULLIF(btrim(name_th), '') AS name,
                     SUM(ST_Length(ST_Intersection(ST_Transform(geom, %(srid)s),
                                                   ST_GeomFromText(%(wkt)s, %(srid)s)))) AS len
              FROM layers_road WHERE municipality_id = %(m)s
                AND ST_Intersects(ST_Transform(geom, %(srid)s), ST_GeomFromText(%(wkt)s, %(srid)s))
              GROUP BY 1) AS r
            WHERE name IS NOT NULL ORDER BY round(len::numeric, 6) DESC, name LIMIT 1
            """,
            {"wkt": outline_wkt, "srid": srid, "m": municipality_id},
        )
        row = cursor.fetchone()
    return row[0] if row else ""


def sql_subdistrict(point_wkt: str, srid: int, municipality_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name_th FROM layers_subdistrict WHERE municipality_id = %(m)s "
            "AND ST_Intersects(geom, ST_Transform(ST_GeomFromText(%(wkt)s, %(srid)s), 4326)) "
            "ORDER BY code LIMIT 1",
            {"wkt": point_wkt, "srid": srid, "m": municipality_id},
        )
        return cursor.fetchone()[0]


def test_zone_names_agree_with_postgis_main_street_and_subdistrict(db, nst):
    situation = dengue_situation(municipality=nst, on=PLAN_DAY)
    plan = spray_plan(situation, published=True)
    assert len(plan.rounds) >= 3

    for entry in plan.rounds:
        outline = entry.zone.geometry
        name = entry.zone.name
        assert name.road == short_road_name(sql_main_road(outline.wkt, nst.metric_srid, nst.pk))
        assert name.road
        assert name.subdistrict == sql_subdistrict(outline.centroid.wkt, nst.metric_srid, nst.pk)


def test_zone_numbers_are_distinct_and_do_not_change_when_a_later_zone_opens(db, nst):
    before = dengue_situation(municipality=nst, on=PLAN_DAY)
    numbers = dict(zip(before.zones["key"], before.zones["number"], strict=True))
    assert len(set(numbers.values())) > 1
    template = DengueCase.objects.filter(municipality=nst).order_by("-report_date").first()
    DengueCase.objects.create(
        municipality=nst,
        geom=template.geom.__class__(template.geom.x + 0.05, template.geom.y, srid=4326),
        onset_date=PLAN_DAY,
        report_date=PLAN_DAY,
        diagnosis=template.diagnosis,
    )

    after = dengue_situation(municipality=nst, on=PLAN_DAY)

    renumbered = dict(zip(after.zones["key"], after.zones["number"], strict=True))
    assert {k: renumbered[k] for k in numbers} == numbers
    assert len(renumbered) == len(numbers) + 1


def test_spray_plan_dashboard_and_work_order_show_names_not_hash_codes_in_thai(db, nst):
    client = client_for("nst-health", language="th")
    plan = client.get(url("dengue-spray-plan", date=str(PLAN_DAY))).content.decode()
    dashboard = client.get(url("dengue-dashboard", as_of=str(PLAN_DAY))).content.decode()
    situation = dengue_situation(municipality=nst, on=PLAN_DAY)
    entry = spray_plan(situation, published=True).rounds[0]
    order = client.get(url("dengue-work-order", entry.zone.key, date=str(PLAN_DAY)))

    headings = re.findall(r"<h2>([^<]*รอบที่[^<]*)</h2>", plan)
    assert headings
    for heading in headings:
        assert re.fullmatch(r"\s*โซน \d+: \S.* ต\.\S+ รอบที่ \d+\s*", heading), heading
    assert not ZONE_KEY.search(visible_text(plan))
    assert "data-zone-key" in plan  # the stable id stays for links and scripts
    names = zone_names(situation, list(situation.active_zones["zone_id"]))
    for name in names.values():
        assert str(name) in dashboard
    zone_table = dashboard.split('id="zones-title"')[1].split("</table>")[0]
    assert not ZONE_KEY.search(visible_text(zone_table))
    text = order.content.decode()
    assert str(entry.zone.name) in text
    assert f"รหัส {entry.zone.key}" in text  # the code, small, for matching paper to screen


def test_clusters_are_named_by_the_nearest_landmark_and_subdistrict(db, nst):
    situation = dengue_situation(municipality=nst, on=PLAN_DAY)
    clusters = cluster_summaries(situation)
    names = cluster_names(situation, clusters)
    page = client_for("nst-health", language="th").get(url("dengue-dashboard", as_of=str(PLAN_DAY)))

    shown = re.findall(r'<span class="dengue-place">([^<]*)</span>', page.content.decode())
    assert any(re.fullmatch(r"ใกล้.+ ต\.\S+", s) for s in shown), shown
    for cluster in clusters:
        name = names[cluster.cluster_id]
        if name.place:
            assert name.distance_m <= 500
            landmark_names = set(situation.landmarks["name_th"])
            assert name.place in landmark_names
            # Nothing named is nearer than the landmark chosen.
            named = situation.landmarks[situation.landmarks["name_th"].str.strip() != ""]
            assert named.distance(cluster.area).min() == pytest.approx(name.distance_m)


def test_plan_csv_keeps_the_zone_key_as_an_id_column_beside_the_name(db):
    response = client_for("nst-health", language="th").get(
        url("dengue-spray-plan", date=str(PLAN_DAY), format="csv")
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))

    assert rows
    for row in rows:
        assert ZONE_KEY.fullmatch(row["zone_key"])
        assert row["zone_name"].startswith("โซน ")
