"""Donut masking and suppressed counts: the privacy tiers' guarantees."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from analysis.privacy import SUPPRESSED, donut_mask, k_anonymous_radius_m, suppressed_counts

UTM = 32647


@pytest.fixture
def town():
    """A 1 km square town with a household every 20 m and two subdistricts (west, east)."""
    homes = gpd.GeoSeries(
        [Point(x, y) for x in range(0, 1000, 20) for y in range(0, 1000, 20)], crs=UTM
    )
    west, east = box(-10, -10, 500, 1010), box(500, -10, 1010, 1010)
    cases = gpd.GeoSeries([Point(250, 500), Point(480, 100), Point(760, 900)], crs=UTM)
    areas = gpd.GeoSeries([west, west, east], crs=UTM)
    return homes, cases, areas


def test_the_inner_radius_holds_at_least_k_households(town):
    homes, cases, _areas = town

    radius = k_anonymous_radius_m(cases, households=homes, k=50)

    for point, r in zip(cases, radius, strict=True):
        assert (homes.distance(point) <= r + 1e-9).sum() >= 50
        assert (homes.distance(point) < r - 1e-9).sum() < 50


def test_masking_is_deterministic_per_case_and_secret(town):
    homes, cases, areas = town
    keys = ["1", "2", "3"]

    first = donut_mask(cases, keys=keys, secret=b"s1", households=homes, areas=areas)
    again = donut_mask(cases, keys=keys, secret=b"s1", households=homes, areas=areas)
    other = donut_mask(cases, keys=keys, secret=b"s2", households=homes, areas=areas)

    assert first.points.geom_equals(again.points).all()
    assert not first.points.geom_equals(other.points).any()


def test_masked_points_stay_in_their_area_and_in_the_donut(town):
    homes, cases, areas = town

    out = donut_mask(cases, keys=["1", "2", "3"], secret=b"k", households=homes, areas=areas)

    assert all(area.contains(p) for area, p in zip(areas, out.points, strict=True))
    assert (out.displacement_m >= out.min_radius_m - 1e-6).all()
    assert (out.displacement_m <= 2 * out.min_radius_m + 1e-6).all()
    assert out.points.crs == cases.crs


def test_masking_refuses_degrees():
    with pytest.raises(ValueError, match="projected"):
        donut_mask(
            gpd.GeoSeries([Point(100, 13)], crs=4326),
            keys=["1"],
            secret=b"k",
            households=gpd.GeoSeries([Point(100, 13)], crs=4326),
            areas=gpd.GeoSeries([box(99, 12, 101, 14)], crs=4326),
        )


def test_small_cells_and_their_complements_are_suppressed():
    table = pd.DataFrame(
        {"w1": [3, 10, 0], "w2": [8, 12, 6], "w3": [9, 7, 20]}, index=["a", "b", "c"]
    )

    out = suppressed_counts(table).cells

    assert out.loc["a", "w1"] == SUPPRESSED
    assert (out == SUPPRESSED).sum(axis=1)["a"] >= 2
    assert (out == SUPPRESSED).sum(axis=0)["w1"] >= 2
    assert out.loc["b", "w2"] == 12  # greedy but not everything is hidden


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=12), min_size=2, max_size=6),
        min_size=2,
        max_size=6,
    ).filter(lambda rows: len({len(r) for r in rows}) == 1)
)
def test_no_suppressed_cell_can_be_worked_out_from_what_is_published(rows):
    table = pd.DataFrame(rows)

    out = suppressed_counts(table)

    cells = out.cells.to_numpy()
    published = cells[cells != SUPPRESSED]
    assert not ((published > 0) & (published < 5)).any()
    assert np.array_equal(published, table.to_numpy()[cells != SUPPRESSED])
    hidden = cells == SUPPRESSED
    for line_hidden, totals in ((hidden, out.row_totals), (hidden.T, out.column_totals)):
        for i, total in enumerate(totals):
            # A published total with exactly one hidden cell in its line would reveal it.
            assert total == SUPPRESSED or line_hidden[i].sum() != 1
    for totals in (out.row_totals, out.column_totals):
        assert (totals == SUPPRESSED).sum() != 1
        shown = totals[totals != SUPPRESSED]
        assert not ((shown > 0) & (shown < 5)).any()
