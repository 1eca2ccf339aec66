import numpy as np
import pytest
from shapely import LineString, Point, box

from analysis.flood import (
    access_impact,
    aid_priority,
    depth_scheme,
    feature_exposure,
    road_graph,
    zones_from_classes,
)
from tests.analysis.flood_helpers import frame

#               S (0,100) --------------- (200,100)              detour: 400 m from W to E
#                  |                          |
#  (-100,0) ---- W (0,0) ---- H (100,0) ---- E (200,0) ---- I (300,0)
#  [high -110..-40]       [medium 90..110]          [low 240..260]
#
# Facilities: a shelter at S, a hospital at E, health centres at H (flooded node) and on the
# island I. Households: 0 at W, 1 on the island, 2 in deep water on the west spur.


@pytest.fixture
def roads():
    return frame(
        [
            LineString([(0, 0), (100, 0), (200, 0)]),
            LineString([(0, 0), (0, 100), (200, 100), (200, 0)]),
            LineString([(200, 0), (300, 0)]),
            LineString([(-100, 0), (0, 0)]),
        ],
        road_class=["primary", "residential", "residential", "residential"],
    )


@pytest.fixture
def zones():
    hazard = frame(
        [box(90, -10, 110, 10), box(240, -10, 260, 10), box(-110, -10, -40, 10)],
        c=["medium", "low", "high"],
    )
    return zones_from_classes(hazard, class_field="c")


@pytest.fixture
def households():
    return frame(
        [box(-2, -7, 2, -3), Point(300, -3), Point(-100, -5)],
        population=[3, 4, 2],
        elderly=[0, 2, 0],
        bedridden=[0, 1, 0],
    )


@pytest.fixture
def facilities():
    return frame(
        [Point(0, 103), Point(200, -5), Point(100, 3), Point(300, 5)],
        category=["shelter", "hospital", "health_centre", "health_centre"],
    )


@pytest.fixture
def access(roads, zones, households, facilities):
    return access_impact(roads=roads, households=households, facilities=facilities, hazard=zones)


def test_graph_joins_lines_at_shared_vertices(roads):
    graph = road_graph(roads)
    assert graph.n_nodes == 7
    assert graph.length_m.sum() == pytest.approx(200 + 400 + 100 + 100)


def test_household_takes_the_detour_when_the_direct_road_is_cut(access):
    row = access.households.loc[0]
    # Nearest health care before: the centre at H (5 m walk + 100 m + 3 m walk).
    assert row["health_before_m"] == pytest.approx(108.0)
    # During the flood H is cut off; the hospital at E is 400 m round by S.
    assert row["health_after_m"] == pytest.approx(410.0)
    assert row["health_extra_m"] == pytest.approx(302.0)
    assert row["shelter_extra_m"] == pytest.approx(0.0)
    assert not row["lost_every_route"]


def test_island_household_keeps_its_health_centre_but_loses_the_shelter(access):
    row = access.households.loc[1]
    assert row["health_after_m"] == pytest.approx(8.0)
    assert row["shelter_before_m"] == pytest.approx(3 + 400 + 3)
    assert row["shelter_lost"]
    assert not row["lost_every_route"]


def test_household_in_deep_water_loses_every_route(access):
    row = access.households.loc[2]
    assert row["health_before_m"] == pytest.approx(5 + 100 + 100 + 3)
    assert row["lost_every_route"]
    assert access.blocked_length_m == pytest.approx(200 + 100 + 100)


def test_facility_on_a_flooded_node_is_cut_off(access):
    facility = access.facilities
    assert facility["households_before"].tolist() == [3, 3, 3, 3]
    assert facility["households_after"].tolist() == [1, 1, 0, 1]
    assert facility["cut_off"].tolist() == [False, False, True, False]


def test_villages_losing_every_route(roads, zones, households, facilities):
    villages = frame([box(-150, -50, 150, 150), box(150, -50, 400, 150)], name=["west", "east"])
    result = access_impact(
        roads=roads,
        households=households,
        facilities=facilities,
        hazard=zones,
        aggregation=villages,
    )
    assert result.by_area.loc["west", "households"] == 2
    assert result.by_area.loc["west", "lost_every_route"] == 1
    assert not result.by_area.loc["west", "all_lost"]
    assert result.by_area.loc["east", "lost_every_route"] == 0


def test_aid_priority_ranks_by_depth_vulnerability_and_access(zones, households, access):
    exposed = feature_exposure(households, hazard=zones)
    ranked = aid_priority(exposed, scheme=zones.scheme, access=access)
    # Household 0 is dry and lost no route: not listed.
    assert ranked.index.tolist() == [2, 1]
    assert ranked["rank"].tolist() == [1, 2]
    assert ranked.loc[2, "reason_codes"] == ["depth:high", "no_route:shelter", "no_route:health"]
    assert ranked.loc[1, "reason_codes"] == ["bedridden:1", "elderly:2", "no_route:shelter"]
    assert ranked.loc[1, "reasons"] == "1 bedridden; 2 elderly (60+); no road route to a shelter"
    everyone = aid_priority(exposed, scheme=zones.scheme, access=access, include_unaffected=True)
    assert everyone.loc[0, "reason_codes"] == ["detour_m:health:302"]
    assert everyone.loc[0, "reasons"] == "0.3 km further to a hospital or health centre"


def test_no_facility_of_a_group_loses_nothing(roads, zones, households):
    facilities = frame([Point(200, -5)], category=["hospital"])
    result = access_impact(roads=roads, households=households, facilities=facilities, hazard=zones)
    assert np.isinf(result.households["shelter_before_m"]).all()
    assert not result.households["shelter_lost"].any()


def test_aid_priority_without_access_lists_only_the_affected(zones):
    houses = feature_exposure(
        frame([Point(100, 0), Point(500, 0)], population=[2, 2]), hazard=zones
    )
    ranked = aid_priority(houses, scheme=depth_scheme())
    assert ranked.index.tolist() == [0]
    assert aid_priority(houses, scheme=depth_scheme(), include_unaffected=True).shape[0] == 2


def test_aid_priority_needs_exposure_columns():
    with pytest.raises(ValueError, match="feature_exposure"):
        aid_priority(frame([Point(0, 0)]), scheme=depth_scheme())
