"""OSM tags to road classes and landmark categories: the one mapping of the demo and import_osm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.osm import (
    landmark_category,
    landmark_kind,
    road_class,
    road_lanes,
    road_tags_wanted,
    split_names,
)

DATA = Path(__file__).resolve().parents[2] / "fixtures" / "data"
CHON_CIVIC = DATA / "osm_chonburi" / "chonburi-civic.geojson"


@pytest.mark.parametrize(
    ("highway", "expected"),
    [
        ("motorway", "motorway"),
        ("trunk", "trunk"),
        ("primary", "primary"),
        ("residential", "residential"),
        ("living_street", "living_street"),
        ("service", "service"),
        ("track", "track"),
        ("path", "path"),
        ("primary_link", "other"),
        ("footway", "other"),
        (None, "other"),
    ],
)
def test_highway_values_map_to_road_classes(highway, expected):
    assert road_class(highway) == expected


@pytest.mark.parametrize(
    ("highway", "wanted"),
    [("residential", True), ("footway", True), ("proposed", False), ("platform", False),
     ("construction", False), ("", False), (None, False)],
)  # fmt: skip
def test_only_ways_one_travels_on_are_roads(highway, wanted):
    assert road_tags_wanted(highway) is wanted


@pytest.mark.parametrize(
    ("value", "lanes"), [("2", 2), (4, 4), ("2;3", None), ("yes", None), ("0", None), ("25", None)]
)
def test_lanes_are_whole_counts_or_none(value, lanes):
    assert road_lanes(value) == lanes


@pytest.mark.parametrize(
    ("tags", "kind", "category"),
    [
        ({"amenity": "place_of_worship", "religion": "buddhist"}, "temple-buddhist", "temple"),
        ({"amenity": "place_of_worship", "religion": "taoist"}, "temple-buddhist", "shrine"),
        ({"amenity": "place_of_worship", "religion": "christian"}, "church", "church"),
        ({"amenity": "place_of_worship", "religion": "muslim"}, "mosque", "mosque"),
        ({"amenity": "school"}, "school", "school"),
        ({"amenity": "marketplace"}, "market", "market"),
        ({"amenity": "hospital"}, "hospital", "hospital"),
        ({"amenity": "clinic"}, "clinic", "health_centre"),
        ({"healthcare": "centre"}, "clinic", "health_centre"),
        ({"amenity": "townhall"}, "government", "government"),
        ({"office": "government"}, "government", "government"),
        ({"amenity": "community_centre"}, "community-centre", "community_centre"),
        ({"emergency": "assembly_point"}, "shelter", "shelter"),
        ({"man_made": "pier"}, "pier", "canal_pier"),
        ({"amenity": "ferry_terminal"}, "ferry-terminal", "canal_pier"),
        ({"shop": "gift", "name": "ร้าน OTOP บ้านเรา"}, "otop-shop", "otop_shop"),
        ({"tourism": "museum"}, "museum", "tourist_spot"),
        ({"historic": "monument"}, "monument", "tourist_spot"),
        ({"amenity": "pharmacy"}, "pharmacy", "other"),
    ],
)
def test_landmark_tags_give_a_kind_and_a_category(tags, kind, category):
    assert landmark_kind(tags) == kind
    assert landmark_category(kind, tags.get("religion", ""), tags.get("name", "")) == category


@pytest.mark.parametrize(
    "tags", [{"shop": "convenience", "name": "7-Eleven"}, {"amenity": "bench"}, {}]
)
def test_objects_that_are_not_landmarks_have_no_kind(tags):
    assert landmark_kind(tags) is None


def test_a_health_promoting_hospital_is_a_health_centre_by_its_thai_name():
    name = "โรงพยาบาลส่งเสริมสุขภาพตำบลท่าวัง"
    assert landmark_category(landmark_kind({"amenity": "hospital"}), "", name) == "health_centre"


def test_a_place_of_worship_named_as_a_shrine_is_a_shrine():
    assert landmark_category("temple-buddhist", "buddhist", "ศาลหลักเมือง") == "shrine"


def test_raw_tags_of_the_real_chon_buri_pois_give_the_kinds_their_file_records():
    """chonburi-civic.geojson holds raw OSM tags and the `kind` its producer derived from them."""
    features = json.loads(CHON_CIVIC.read_text(encoding="utf-8"))["features"]
    mismatches = [
        (f["properties"]["id"], f["properties"]["kind"], landmark_kind(f["properties"]))
        for f in features
        if landmark_kind(f["properties"]) != f["properties"]["kind"]
    ]
    assert len(features) == 802
    assert mismatches == []


@pytest.mark.parametrize(
    ("th", "en", "name", "expected"),
    [
        ("ซอยบางทราย 95", "Soi Bang Sai", "Soi Bang Sai", ("ซอยบางทราย 95", "Soi Bang Sai")),
        ("ขอยบางทราย 15", None, "ขอยบางทราย 17", ("ขอยบางทราย 15", "")),
        (None, None, "วัดสวนหลวง", ("วัดสวนหลวง", "")),
        (None, None, "Bovorn Bazar", ("", "Bovorn Bazar")),
        (None, "City Pillar Shrine", "ศาลหลักเมือง", ("ศาลหลักเมือง", "City Pillar Shrine")),
    ],
)
def test_thai_name_comes_from_name_th_before_name(th, en, name, expected):
    assert split_names(th, en, name) == expected
