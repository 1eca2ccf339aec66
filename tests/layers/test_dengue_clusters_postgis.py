"""The PostGIS cluster path agrees with the geopandas path on the same cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from pyproj import Transformer

from analysis.dengue import space_time_clusters
from layers.dengue.sql import dengue_clusters_postgis
from layers.frames import frame_from_queryset
from layers.models import DengueCase

# Far in the future, so that the hand-built cases never link with the demo's (2025-2026).
START = dt.date(2031, 1, 1)


def geopandas_clusters(municipality, **rule) -> dict[int, int]:
    """The pure path on the same rows (ordered by onset_date, id), in the metric CRS."""
    queryset = DengueCase.objects.filter(municipality=municipality).order_by("onset_date", "id")
    frame = frame_from_queryset(queryset, fields=("id", "onset_date"))
    frame = frame.to_crs(municipality.metric_srid)
    labelled = space_time_clusters(frame, time_col="onset_date", **rule)
    return dict(zip(labelled["id"].tolist(), labelled["cluster_id"].tolist(), strict=True))


def partition(clusters: dict[int, int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for case_id, cluster in clusters.items():
        if cluster >= 0:
            groups.setdefault(cluster, set()).add(case_id)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize(
    ("distance_m", "window_days", "min_cases"),
    [(150, 14, 2), (50, 7, 2), (300, 21, 3), (1000, 30, 5)],
)
def test_postgis_and_geopandas_give_the_same_clusters_on_the_demo_cases(
    nst, distance_m, window_days, min_cases
):
    rule = {"distance_m": distance_m, "window_days": window_days, "min_cases": min_cases}

    in_sql = dengue_clusters_postgis(municipality_id=nst.pk, srid=nst.metric_srid, **rule)
    in_python = geopandas_clusters(nst, **rule)

    assert len(in_sql) == DengueCase.objects.filter(municipality=nst).count() == 156
    assert in_sql == in_python  # same members AND the same numbering


def test_demo_cases_do_form_clusters_under_the_default_rule(nst):
    clusters = dengue_clusters_postgis(municipality_id=nst.pk, srid=nst.metric_srid)

    assert max(clusters.values()) >= 1  # at least two clusters: the comparison is not vacuous
    assert -1 in clusters.values()


@pytest.fixture
def hand_built_cases(nst):
    """Cases placed in metres (UTM) in a corner of the town, in 2031; ids by name."""
    to_metric = Transformer.from_crs(4326, nst.metric_srid, always_xy=True)
    to_wgs84 = Transformer.from_crs(nst.metric_srid, 4326, always_xy=True)
    centre = nst.boundary.centroid
    x0, y0 = to_metric.transform(centre.x, centre.y)
    layout = {
        # name: (east m, north m, days after START)
        "a": (0, 0, 0),
        "b": (140, 0, 13),  # 140 m and 13 days from a: linked
        "c": (300, 0, 14),  # 160 m from b: not linked
        "d": (0, 100, 15),  # 100 m from a but 15 days: not linked; 172 m from b
        "e": (300, 100, 24),  # 100 m and 10 days from c: linked
        "f": (300, 200, 37),  # 100 m and 13 days from e: chains c-e-f
    }
    ids = {}
    for name, (east, north, day) in layout.items():
        lon, lat = to_wgs84.transform(x0 + east, y0 + north)
        onset = START + dt.timedelta(days=day)
        case = DengueCase.objects.create(
            municipality=nst,
            onset_date=onset,
            report_date=onset + dt.timedelta(days=2),
            diagnosis=DengueCase.Diagnosis.DF,
            geom=Point(lon, lat, srid=4326),
        )
        ids[name] = case.pk
    return ids


def test_hand_built_cases_link_at_the_150_m_and_14_day_limits_in_both_paths(nst, hand_built_cases):
    """Reference: the pairs are placed in metres in the metric CRS, so the rule is exact."""
    ids = hand_built_cases
    expected = {frozenset({ids["a"], ids["b"]}), frozenset({ids["c"], ids["e"], ids["f"]})}

    in_sql = dengue_clusters_postgis(municipality_id=nst.pk, srid=nst.metric_srid)
    in_python = geopandas_clusters(nst, distance_m=150, window_days=14, min_cases=2)

    built = set(ids.values())
    assert {g for g in partition(in_sql) if g & built} == expected
    assert in_sql[ids["d"]] == -1
    assert in_sql == in_python


def test_min_cases_drops_the_pair_but_keeps_the_chain_of_three(nst, hand_built_cases):
    ids = hand_built_cases

    in_sql = dengue_clusters_postgis(municipality_id=nst.pk, srid=nst.metric_srid, min_cases=3)

    assert in_sql[ids["a"]] == in_sql[ids["b"]] == -1
    assert in_sql[ids["c"]] == in_sql[ids["e"]] == in_sql[ids["f"]] >= 0
    assert in_sql == geopandas_clusters(nst, distance_m=150, window_days=14, min_cases=3)


def test_a_municipality_without_cases_gives_an_empty_answer(chon):
    assert DengueCase.objects.filter(municipality=chon).count() == 0
    assert dengue_clusters_postgis(municipality_id=chon.pk, srid=chon.metric_srid) == {}
