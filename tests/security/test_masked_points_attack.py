"""An attacker with a viewer's login looks for the houses behind donut-masked dengue cases.

The attacker knows the published rule (a case moves between the distance to the k-th nearest
household of its house and twice that, and stays in its subdistrict) and holds what a viewer
receives: the masked points and the subdistricts of the city map page, and the buildings of
the OGC API. A house is a candidate for a masked point when the rule, applied at that house,
could have produced the point. The promise is at least k = 50 candidates for every point.

The attacker is written here from scratch (scipy and numpy, nothing from `analysis`), so a bug
in the masking code cannot hide itself.
"""

from __future__ import annotations

import itertools
import json
import re

import geopandas as gpd
import numpy as np
import shapely
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from analysis.privacy import donut_mask
from layers.models import DengueCase, Municipality

K = 50
SPREAD = 2.0
UTM = 32647


# --- The attacker ------------------------------------------------------------------------------


def attack_candidates(
    masked_xy: np.ndarray,
    masked_area: np.ndarray,
    house_xy: np.ndarray,
    house_area: np.ndarray,
    *,
    k: int = K,
    spread: float = SPREAD,
) -> np.ndarray:
    """For each masked point, the houses of its subdistrict whose donut holds it."""
    if len(house_xy) < k:
        return np.zeros(len(masked_xy), dtype=int)
    # k-th nearest house of each house, the house itself included (as the masking rule says).
    radius = cKDTree(house_xy).query(house_xy, k=k)[0][:, -1]
    counts = np.empty(len(masked_xy), dtype=int)
    for i, (point, area) in enumerate(zip(masked_xy, masked_area, strict=True)):
        d = np.hypot(house_xy[:, 0] - point[0], house_xy[:, 1] - point[1])
        counts[i] = int(((house_area == area) & (d >= radius) & (d <= spread * radius)).sum())
    return counts


def area_of(xy: np.ndarray, areas: list) -> np.ndarray:
    """Index of the area holding each point (-1 outside every area)."""
    out = np.full(len(xy), -1)
    for i, area in enumerate(areas):
        out[shapely.contains_xy(area, xy[:, 0], xy[:, 1]) & (out < 0)] = i
    return out


def test_the_attacker_counts_the_houses_whose_donut_holds_the_point():
    houses = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0]])
    masked = np.array([[2.0, 0.0], [-8.0, 0.0], [30.0, 0.0]])

    counts = attack_candidates(masked, np.zeros(3), houses, np.zeros(3), k=2)

    # Donuts: [1, 2] around x=0 and x=1, [9, 18] around x=10.
    assert counts.tolist() == [2, 1, 0]


def _town(seed: int) -> tuple[np.ndarray, list]:
    """Dense blocks beside sparse outskirts: where a naive donut gives itself away."""
    rng = np.random.default_rng(seed)
    dense = rng.normal(0, 60, size=(900, 2))
    sparse = rng.uniform(-1500, 1500, size=(150, 2))
    houses = np.round(np.vstack([dense, sparse]), 1)
    areas = [shapely.box(-1600, -1600, 0, 1600), shapely.box(0, -1600, 1600, 1600)]
    return houses, areas


def _naive_donut(true_xy: np.ndarray, house_xy: np.ndarray, seed: int) -> np.ndarray:
    """The donut before issue 14: sized around the true house only, no check of the result."""
    rng = np.random.default_rng(seed)
    radius = cKDTree(house_xy).query(true_xy, k=K)[0][:, -1]
    theta = rng.uniform(0, 2 * np.pi, len(true_xy))
    r = np.sqrt(rng.uniform(radius**2, (SPREAD * radius) ** 2))
    return true_xy + np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def test_the_attacker_beats_a_donut_sized_around_the_true_house_only():
    """Without this, a green attack test could mean an attacker that cannot find anything."""
    houses, areas = _town(1)
    true_xy = houses[::15]
    masked = _naive_donut(true_xy, houses, seed=2)

    counts = attack_candidates(masked, area_of(masked, areas), houses, area_of(houses, areas))

    assert counts.min() < K


# --- The masking against the attacker: random towns ---------------------------------------------


@st.composite
def towns(draw):
    """Clusters of houses of random size and density over sparse outskirts, in 1-3 strips."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    parts = [rng.uniform(-2000, 2000, size=(draw(st.integers(0, 300)), 2))]
    for _ in range(draw(st.integers(1, 4))):
        centre = rng.uniform(-1500, 1500, size=2)
        size = draw(st.integers(20, 600))
        spread_m = draw(st.floats(5, 300))
        parts.append(centre + rng.normal(0, spread_m, size=(size, 2)))
    # Houses at least 6 m apart, as on the ground: one per cell of a 6 m grid.
    houses = np.unique(np.round(np.clip(np.vstack(parts), -1999, 1999) / 6) * 6, axis=0)
    cuts = sorted(draw(st.lists(st.floats(-1500, 1500), max_size=2, unique=True)))
    edges = [-2000.0, *cuts, 2000.0]
    areas = [shapely.box(a, -2000, b, 2000) for a, b in itertools.pairwise(edges)]
    n_cases = draw(st.integers(1, 25))
    cases = houses[rng.choice(len(houses), size=min(n_cases, len(houses)), replace=False)]
    # Cases sit in their house's yard, not at its centroid.
    cases = cases + rng.uniform(-4, 4, size=cases.shape)
    return houses, areas, cases, seed


def _publish(xy: np.ndarray) -> np.ndarray:
    """What the viewer receives: coordinates on a grid of about 0.1 m (1e-6 degrees)."""
    return np.round(xy, 1)


@settings(max_examples=60, deadline=None)
@given(towns())
def test_no_masked_point_of_a_random_town_has_fewer_than_k_candidates(town):
    houses, areas, cases, seed = town
    areas_of_cases = area_of(cases, areas)
    keep = areas_of_cases >= 0
    cases, areas_of_cases = cases[keep], areas_of_cases[keep]
    points = gpd.GeoSeries(gpd.points_from_xy(cases[:, 0], cases[:, 1]), crs=UTM)

    out = donut_mask(
        points,
        keys=[f"{seed}-{i}" for i in range(len(cases))],
        secret=b"town",
        households=gpd.GeoSeries(gpd.points_from_xy(houses[:, 0], houses[:, 1]), crs=UTM),
        areas=gpd.GeoSeries([areas[i] for i in areas_of_cases], crs=UTM),
        k=K,
    )

    shown = ~out.points.is_empty
    masked = _publish(shapely.get_coordinates(out.points[shown].values))
    seen_houses = _publish(houses)
    counts = attack_candidates(
        masked, area_of(masked, areas), seen_houses, area_of(seen_houses, areas)
    )
    assert (counts >= K).all(), (counts.min(), int((counts < K).sum()))
    # A case is only left off the map where its subdistrict cannot hide it among k houses.
    for i in np.flatnonzero(~shown.to_numpy()):
        assert (area_of(houses, areas) == areas_of_cases[i]).sum() < 4 * K


# --- The masking against the attacker: the demo, through what a viewer receives -----------------


def _map_collections(html: str) -> list[list[dict]]:
    """The GeoJSON feature collections folium inlines in a map page."""
    decoder = json.JSONDecoder()
    return [
        decoder.raw_decode(html, match.end())[0]["features"]
        for match in re.finditer(r"_add\(", html)
    ]


def _viewer_sees(client: Client, municipality: Municipality):
    """Masked points and subdistricts of the map page, building centroids of the API (metric)."""
    page = client.get(f"/m/{municipality.code}/map/")
    assert page.status_code == 200
    collections = _map_collections(page.content.decode())
    masked = [f for c in collections for f in c if "onset_week" in f["properties"]]
    subdistricts = [
        f
        for c in collections
        for f in c
        if f["geometry"]["type"].endswith("Polygon")
        and "name_en" in f["properties"]
        and "event" not in f["properties"]
    ]
    buildings = []
    offset = 0
    while True:
        url = f"/api/collections/{municipality.code}.buildings/items?limit=10000&offset={offset}"
        batch = client.get(url).json()["features"]
        buildings += batch
        if len(batch) < 10000:
            break
        offset += 10000
    srid = municipality.metric_srid
    masked_frame = gpd.GeoDataFrame.from_features(masked, crs=4326).to_crs(srid)
    areas = list(gpd.GeoDataFrame.from_features(subdistricts, crs=4326).to_crs(srid).geometry)
    houses = gpd.GeoDataFrame.from_features(buildings, crs=4326).to_crs(srid).geometry.centroid
    return masked_frame, areas, shapely.get_coordinates(houses.values)


def test_no_masked_case_of_the_demo_has_fewer_than_k_candidate_houses(db):
    """Nakhon Si Thammarat: the demo town with cases (156) and buildings (1,689)."""
    prefix = "nst"
    user = get_user_model().objects.get(username=f"{prefix}-viewer")
    municipality = user.memberships.get().municipality
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)

    masked, areas, houses = _viewer_sees(client, municipality)
    masked_xy = shapely.get_coordinates(masked.geometry.values)
    counts = attack_candidates(masked_xy, area_of(masked_xy, areas), houses, area_of(houses, areas))

    n_cases = DengueCase.objects.filter(municipality=municipality).count()
    print(f"{prefix}: {len(counts)} masked of {n_cases} cases, {len(houses)} buildings; "
          f"smallest candidate count {counts.min() if len(counts) else None}, "
          f"below {K}: {int((counts < K).sum())}")  # fmt: skip
    assert len(counts) == n_cases
    assert (counts >= K).all(), sorted(counts)[:10]
