"""OpenStreetMap extracts for the `import_osm` tests, built from the real OSM features in
fixtures/data (their real ids, tags and coordinates) and written into a test's tmp_path.

The demo files hold each feature as GeoJSON: ways as lines, landmarks as points (also those
that are ways or relations in OSM). Here a way landmark becomes a closed way (a square of about
30 m around its point) and a relation a multipolygon of one such ring, so the extract has areas
to reduce to points, as a real one does. Nodes of ways get ids from NODE_IDS_FROM up, far above
real OSM node ids. `.osm.pbf` files are converted from the XML with pyosmium.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from xml.sax.saxutils import quoteattr

import shapely
from shapely.geometry import shape

DATA = Path(__file__).resolve().parents[3] / "fixtures" / "data"
NST = DATA / "osm_nakhon_si_thammarat"
CHON = DATA / "osm_chonburi"
NODE_IDS_FROM = 90_000_000_000
WAY_IDS_FROM = 9_000_000_000
HALF_SIDE_DEG = 0.00015  # about 16 m: squares of about 30 m


@dataclass
class OsmObject:
    """A node (Point), way (LineString or Polygon) or multipolygon relation (Polygon)."""

    osm_type: str
    osm_id: int
    tags: dict[str, str]
    geometry: shapely.Geometry
    extra: dict = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.osm_type}/{self.osm_id}"


@cache
def _features(path: Path) -> tuple[dict, ...]:
    return tuple(json.loads(path.read_text(encoding="utf-8"))["features"])


@cache
def nst_boundary() -> shapely.Geometry:
    return shape(_features(NST / "boundary.geojson")[0]["geometry"])


def _tags(properties: dict, renames: dict[str, str]) -> dict[str, str]:
    tags = {}
    for key, value in properties.items():
        if key in ("id", "kind", "priority") or value is None:
            continue
        tags[renames.get(key, key)] = str(value)
    return tags


def _square(point: shapely.Point) -> shapely.Polygon:
    return shapely.box(
        point.x - HALF_SIDE_DEG,
        point.y - HALF_SIDE_DEG,
        point.x + HALF_SIDE_DEG,
        point.y + HALF_SIDE_DEG,
    )


def _from_feature(feature: dict, renames: dict[str, str] | None = None) -> OsmObject:
    osm_type, osm_id = feature["properties"]["id"].split("/")
    geometry = shape(feature["geometry"])
    if osm_type != "node" and geometry.geom_type == "Point":
        geometry = _square(geometry)
    tags = _tags(feature["properties"], renames or {})
    return OsmObject(osm_type, int(osm_id), tags, geometry)


def nst_roads(count: int = 5) -> list[OsmObject]:
    """Real NST ways wholly inside the boundary (tags name, name:th, name:en, highway, ref)."""
    boundary = nst_boundary()
    renames = {"nameTh": "name:th", "nameEn": "name:en"}
    chosen = [
        feature
        for feature in _features(NST / "roads.geojson")
        if boundary.contains(shape(feature["geometry"]))
    ]
    return [_from_feature(feature, renames) for feature in chosen[:count]]


def nst_crossing_road() -> OsmObject:
    """A real NST way that crosses the boundary."""
    boundary = nst_boundary()
    for feature in _features(NST / "roads.geojson"):
        geometry = shape(feature["geometry"])
        if boundary.intersects(geometry) and not boundary.contains(geometry):
            return _from_feature(feature, {"nameTh": "name:th", "nameEn": "name:en"})
    raise LookupError("no crossing road")


def nst_landmarks(kinds: tuple[str, ...] = ("temple-buddhist", "school", "market", "mosque")):
    """Real NST civic POIs inside the boundary: nodes and ways (areas), a few of each kind."""
    boundary = nst_boundary()
    picked: list[OsmObject] = []
    for kind in kinds:
        for osm_type in ("node", "way"):
            for feature in _features(NST / "civic-pois.geojson"):
                properties = feature["properties"]
                if (
                    properties["kind"] == kind
                    and properties["id"].startswith(osm_type + "/")
                    and boundary.contains(shape(feature["geometry"]))
                ):
                    picked.append(_from_feature(feature))
                    break
    return picked


def chon_road(boundary: shapely.Geometry) -> OsmObject:
    """The first real Chon Buri way inside `boundary` with a Thai and an English name."""
    for feature in _features(CHON / "chonburi-roads.geojson"):
        properties = feature["properties"]
        if (
            properties.get("name:th")
            and properties.get("name:en")
            and boundary.contains(shape(feature["geometry"]))
        ):
            return _from_feature(feature)
    raise LookupError("no Chon Buri road with Thai and English names inside the boundary")


def chon_landmark(boundary: shapely.Geometry) -> OsmObject:
    """The first real Chon Buri landmark inside `boundary` (a way: an area)."""
    for feature in _features(CHON / "chonburi-civic.geojson"):
        if boundary.contains(shape(feature["geometry"])):
            return _from_feature(feature)
    raise LookupError("no Chon Buri landmark inside the boundary")


def as_relation(obj: OsmObject, relation_id: int) -> OsmObject:
    """The same area as a multipolygon relation (its ring an untagged way)."""
    polygon = obj.geometry if obj.geometry.geom_type == "Polygon" else _square(obj.geometry)
    return OsmObject("relation", relation_id, {**obj.tags, "type": "multipolygon"}, polygon)


def _coordinates(geometry: shapely.Geometry) -> list[tuple[float, float]]:
    if geometry.geom_type == "Polygon":
        return list(geometry.exterior.coords)
    return list(geometry.coords)


def osm_xml(objects: list[OsmObject]) -> str:
    """An OSM XML document: nodes (sorted by id), then ways, then relations."""
    nodes: dict[int, tuple[tuple[float, float], dict[str, str]]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    relations: list[tuple[int, int, dict[str, str]]] = []
    next_node = NODE_IDS_FROM
    next_way = WAY_IDS_FROM

    def way_nodes(geometry: shapely.Geometry) -> list[int]:
        nonlocal next_node
        refs: list[int] = []
        coordinates = _coordinates(geometry)
        closed = coordinates[0] == coordinates[-1] and len(coordinates) > 2
        for xy in coordinates[:-1] if closed else coordinates:
            nodes[next_node] = (xy, {})
            refs.append(next_node)
            next_node += 1
        return [*refs, refs[0]] if closed else refs

    for obj in objects:
        if obj.osm_type == "node":
            nodes[obj.osm_id] = ((obj.geometry.x, obj.geometry.y), obj.tags)
        elif obj.osm_type == "way":
            ways.append((obj.osm_id, way_nodes(obj.geometry), obj.tags))
        else:
            ways.append((next_way, way_nodes(obj.geometry), {}))
            relations.append((obj.osm_id, next_way, obj.tags))
            next_way += 1

    def tag_lines(tags: dict[str, str]) -> str:
        return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="mueang">']
    for node_id in sorted(nodes):
        (x, y), tags = nodes[node_id]
        lines.append(
            f'<node id="{node_id}" version="1" lat="{y:.7f}" lon="{x:.7f}">{tag_lines(tags)}</node>'
        )
    for way_id, refs, tags in sorted(ways):
        members = "".join(f'<nd ref="{ref}"/>' for ref in refs)
        lines.append(f'<way id="{way_id}" version="1">{members}{tag_lines(tags)}</way>')
    for relation_id, way_id, tags in sorted(relations):
        lines.append(
            f'<relation id="{relation_id}" version="1">'
            f'<member type="way" ref="{way_id}" role="outer"/>{tag_lines(tags)}</relation>'
        )
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def write_osm(objects: list[OsmObject], path: Path) -> Path:
    path.write_text(osm_xml(objects), encoding="utf-8")
    return path


def write_pbf(objects: list[OsmObject], path: Path) -> Path:
    """The same extract as `.osm.pbf`, converted from the XML by pyosmium."""
    import osmium

    xml = write_osm(objects, path.with_name(path.name.removesuffix(".osm.pbf") + ".xml.osm"))
    with osmium.SimpleWriter(str(path)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    xml.unlink()
    return path
