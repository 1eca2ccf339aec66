"""OpenStreetMap tags to Mueang's road classes and landmark categories (pure, no Django).

One mapping for everything that reads OSM: the demo loader (`fixtures/demo_city.py`, whose
files carry a precomputed `kind`) and `import_osm` (raw tags from an extract).

- Roads: `highway=*` of the classes below keeps its value; any other highway value is `other`;
  highway values that are not ways one drives or walks on (`proposed`, `platform`, ...) are not
  roads at all (`road_tags_wanted`).
- Landmarks: the tags give a `kind` (`landmark_kind`, the vocabulary of the demo files:
  `temple-buddhist`, `school`, `clinic`, ...), and the kind with religion, Thai name and
  `historic` gives the category (`landmark_category`).
- Names: Thai from `name:th`, else `name` when it is Thai; English from `name:en`, else a
  `name` in Latin script (`split_names`).

Examples
--------
>>> road_class("primary")
'primary'
>>> landmark_kind({"amenity": "place_of_worship", "religion": "buddhist"})
'temple-buddhist'
>>> landmark_category("temple-buddhist", "buddhist", "วัดพระมหาธาตุ")
'temple'
>>> split_names(None, None, "Wat Pho")
('', 'Wat Pho')
"""

from __future__ import annotations

import math
from collections.abc import Mapping

OSM_LICENCE = "ODbL 1.0"
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)"
ROAD_CLASSES = frozenset({
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "living_street", "service", "track", "path",
})  # fmt: skip
# highway values that are not roads or paths one travels on (or not built yet, or gone).
NOT_ROADS = frozenset({
    "proposed", "construction", "abandoned", "disused", "razed", "dismantled", "platform",
    "bus_stop", "corridor", "elevator", "services", "rest_area", "traffic_island", "no",
})  # fmt: skip
MAX_LANES = 20
THAI_BLOCK = ("\u0e00", "\u0e7f")

# Religions whose places of worship are shrines (ศาลเจ้า), not temples (วัด).
SHRINE_RELIGIONS = frozenset({"hindu", "taoist", "chinese_folk"})
_KIND_CATEGORIES = {
    "church": "church",
    "mosque": "mosque",
    "school": "school",
    "kindergarten": "school",
    "university": "school",
    "hospital": "hospital",
    "clinic": "health_centre",
    "market": "market",
    "government": "government",
    "police": "government",
    "fire": "government",
    "courthouse": "government",
    "post": "government",
    "community-centre": "community_centre",
    "shelter": "shelter",
    "attraction": "tourist_spot",
    "museum": "tourist_spot",
    "viewpoint": "tourist_spot",
    "pier": "canal_pier",
    "ferry-terminal": "canal_pier",
    "otop-shop": "otop_shop",
}
# amenity value -> kind
_AMENITY_KINDS = {
    "school": "school",
    "kindergarten": "kindergarten",
    "university": "university",
    "college": "university",
    "hospital": "hospital",
    "clinic": "clinic",
    "doctors": "clinic",
    "marketplace": "market",
    "townhall": "government",
    "police": "police",
    "fire_station": "fire",
    "courthouse": "courthouse",
    "post_office": "post",
    "bus_station": "bus-station",
    "pharmacy": "pharmacy",
    "community_centre": "community-centre",
    "ferry_terminal": "ferry-terminal",
}
_HISTORIC_KINDS = frozenset({"monument", "memorial", "city_gate", "manor"})
_TOURISM_KINDS = frozenset({"attraction", "museum", "viewpoint"})
OTOP_MARKS = ("otop", "โอทอป", "หนึ่งตำบลหนึ่งผลิตภัณฑ์")


def text(value: object) -> str:
    """A tag value as stripped text; '' for None or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def has_thai(value: str) -> bool:
    """Whether the text holds a Thai character."""
    return any(THAI_BLOCK[0] <= ch <= THAI_BLOCK[1] for ch in value)


def split_names(th: object, en: object, name: object) -> tuple[str, str]:
    """Thai name from name:th, else `name` if Thai; English from name:en, else a Latin `name`."""
    name_th, name_en, plain = text(th), text(en), text(name)
    if not name_th and has_thai(plain):
        name_th = plain
    if not name_en and plain and not has_thai(plain):
        name_en = plain
    return name_th, name_en


def road_tags_wanted(highway: object) -> bool:
    """Whether a way with this `highway` value is a road or path Mueang keeps."""
    value = text(highway)
    return bool(value) and value not in NOT_ROADS


def road_class(highway: object) -> str:
    """Mueang's road class of an OSM `highway` value (unknown values: 'other')."""
    value = text(highway)
    return value if value in ROAD_CLASSES else "other"


def road_lanes(value: object) -> int | None:
    """A whole lane count from 1 to 19, else None ('2;3', 'yes', 0 and NaN give None)."""
    try:
        lanes = float(text(value)) if not isinstance(value, int | float) else float(value)
    except ValueError:
        return None
    if math.isnan(lanes) or not 0 < lanes < MAX_LANES:
        return None
    return int(lanes)


def landmark_kind(tags: Mapping[str, object]) -> str | None:
    """The kind of an OSM object from its tags, or None when it is not a landmark Mueang keeps."""
    amenity = text(tags.get("amenity"))
    if amenity == "place_of_worship":
        religion = text(tags.get("religion"))
        if religion == "christian":
            return "church"
        if religion == "muslim":
            return "mosque"
        return "temple-buddhist"
    if amenity in _AMENITY_KINDS:
        return _AMENITY_KINDS[amenity]
    if text(tags.get("office")) == "government":
        return "government"
    if text(tags.get("healthcare")) in {"centre", "clinic", "doctor"}:
        return "clinic"
    historic = text(tags.get("historic"))
    if historic in _HISTORIC_KINDS:
        return historic
    if text(tags.get("social_facility")) == "shelter" or (
        text(tags.get("emergency")) == "assembly_point"
    ):
        return "shelter"
    if text(tags.get("man_made")) == "pier":
        return "pier"
    shop = text(tags.get("shop"))
    if shop:
        words = " ".join(text(tags.get(k)) for k in ("name", "name:th", "name:en", "brand"))
        if any(mark in words.casefold() for mark in OTOP_MARKS):
            return "otop-shop"
    tourism = text(tags.get("tourism"))
    if tourism in _TOURISM_KINDS:
        return tourism
    if historic and historic not in {"no", "yes"}:
        return "historic"
    if text(tags.get("power")) == "substation":
        return "power-substation"
    return None


def landmark_category(kind: str, religion: str, name: str, historic: str = "") -> str:
    """Map an OSM-derived kind (plus religion and Thai name) to a Mueang landmark category."""
    kind = kind or ""
    if kind in {"temple-buddhist", "temple"}:
        if religion in SHRINE_RELIGIONS or name.startswith(("ศาล", "หอพระ")):
            return "shrine"
        return "temple"
    if historic or kind in _HISTORIC_KINDS or kind == "historic":
        return "tourist_spot"
    if "โรงพยาบาลส่งเสริมสุขภาพ" in name or "สถานีอนามัย" in name:
        return "health_centre"
    return _KIND_CATEGORIES.get(kind, "other")
