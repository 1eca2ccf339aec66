"""Importing roads and landmarks from an OpenStreetMap extract (`.osm` XML or `.osm.pbf`).

GDAL's OSM driver (through pyogrio) parses the extract as a stream, keeping node locations in
its own temporary index, and hands back only the features whose bounding box meets the
municipality's and whose tags matter (`osmconf.ini` names the columns, an attribute filter
drops the rest), so memory follows the size of the municipality, not of the extract.

The features are then converted with `analysis.osm` (the mapping the demo loader uses) and
kept when they lie in the municipality: ways that touch the boundary whole (as the demo loader
keeps them), points inside it, and areas (temple grounds, markets, schools) as a point inside
the area. Both layers then go through the ordinary import service in one transaction, matched
by OSM id (`way/123`, `node/45`, `relation/6`), so a newer extract updates the features of the
datasets `roads-osm` and `landmarks-osm` instead of duplicating them.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyogrio.raw import read as ogr_read

from analysis.osm import (
    OSM_ATTRIBUTION,
    OSM_LICENCE,
    landmark_category,
    landmark_kind,
    road_class,
    road_lanes,
    road_tags_wanted,
    split_names,
    text,
)
from layers.imports.limits import ImportLimits
from layers.imports.messages import Issue, Severity, quoted, refuse
from layers.imports.report import ImportReport
from layers.imports.service import (
    Progress,
    _boundary,
    import_job_prepare,
    import_jobs_run,
)
from layers.imports.sources import READ_ERRORS, RawBatch, Source, _head, _scan, file_checksum
from layers.models import Dataset, Landmark, Municipality, Road

OSMCONF = Path(__file__).with_name("osmconf.ini")
ID_FIELD = "osm_id"
ROADS_SLUG = "roads-osm"
LANDMARKS_SLUG = "landmarks-osm"
IDS_LISTED = 10
PBF_HEADER = b"\x0a\x09OSMHeader"  # BlobHeader field 1 (type) = "OSMHeader", after the length
_XML_DANGER = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
LANDMARK_TAGS = ("amenity", "office", "healthcare", "historic", "social_facility", "emergency",
                 "man_made", "shop", "tourism", "power")  # fmt: skip
LANDMARK_WHERE = " OR ".join(f"{tag} IS NOT NULL" for tag in LANDMARK_TAGS)
ROAD_COLUMNS = ["osm_id", "name_th", "name_en", "road_class", "surface", "lanes", "ref"]
LANDMARK_COLUMNS = ["osm_id", "name_th", "name_en", "category", "source_kind"]


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def osm_dataset_defaults(kind: str, source: str) -> dict[str, object]:
    """Catalogue fields of a dataset created by an OSM import (ODbL, public, owning division)."""
    title, division = {
        "roads": ("ถนน (OpenStreetMap)", "กองช่าง"),
        "landmarks": ("สถานที่สำคัญ (OpenStreetMap)", "สำนักปลัดเทศบาล"),
    }[kind]
    return {
        "title": title,
        "division": division,
        "visibility": Dataset.Visibility.PUBLIC,
        "source": source,
        "licence": OSM_LICENCE,
        "attribution": OSM_ATTRIBUTION,
    }


def _format_of(path: Path, *, name: str) -> str:
    lowered = path.name.lower()
    if lowered.endswith(".pbf"):
        return "PBF"
    if lowered.endswith(".osm"):
        return "XML"
    raise refuse("osm_wrong_type", file=name, name=quoted(path.name))


def _sniff(path: Path, fmt: str, *, name: str) -> None:
    """Refuse a file whose content is not OSM data, or an XML file declaring entities."""
    head = _head(path)
    label = quoted(path.name)
    if fmt == "PBF":
        if head[4 : 4 + len(PBF_HEADER)] != PBF_HEADER:
            raise refuse(
                "content_mismatch",
                file=name,
                name=label,
                format="OpenStreetMap PBF",
                reason="no OSMHeader block",
            )
        return
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not start.startswith(b"<") or b"<osm" not in head:
        raise refuse(
            "content_mismatch",
            file=name,
            name=label,
            format="OpenStreetMap XML",
            reason="no <osm> element",
        )
    if _scan(path, _XML_DANGER):
        raise refuse("osm_xml_doctype", file=name)


def _read_layer(
    path: Path, *, name: str, layer: str, where: str, bbox: tuple[float, ...]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One layer of the extract: WKB and tag columns of features meeting `bbox` and `where`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta, _fids, wkb, values = ogr_read(
                path, layer=layer, where=where, bbox=bbox, CONFIG_FILE=str(OSMCONF)
            )
    except READ_ERRORS as error:
        raise refuse("unreadable", file=name, detail=quoted(error)) from None
    fields = [str(f) for f in meta["fields"]]
    if wkb is None:
        wkb = np.full(len(values[0]) if values else 0, None, dtype=object)
    return wkb, dict(zip(fields, values, strict=True))


def _cut(value: str, limit: int) -> str:
    return value[:limit]


def _roads(
    path: Path, *, name: str, boundary: shapely.Geometry
) -> tuple[np.ndarray, dict[str, list], list[Issue]]:
    wkb, tags = _read_layer(
        path, name=name, layer="lines", where="highway IS NOT NULL", bbox=boundary.bounds
    )
    wanted = np.array([road_tags_wanted(h) for h in tags["highway"]], dtype=bool)
    geometries = np.full(len(wkb), None, dtype=object)
    geometries[wanted] = shapely.from_wkb(wkb[wanted])
    degenerate = wanted & ~_has_length(geometries)
    inside = wanted & ~degenerate
    inside[inside] = shapely.intersects(boundary, geometries[inside])
    ids = [f"way/{osm_id}" for osm_id in tags["osm_id"]]
    limits = {f: _max_length(Road, f) for f in ("name_th", "name_en", "surface", "ref")}
    columns: dict[str, list] = {column: [] for column in ROAD_COLUMNS}
    for index in np.flatnonzero(inside):
        name_th, name_en = split_names(
            tags["name_th"][index], tags["name_en"][index], tags["name"][index]
        )
        columns["osm_id"].append(ids[index])
        columns["name_th"].append(_cut(name_th, limits["name_th"]))
        columns["name_en"].append(_cut(name_en, limits["name_en"]))
        columns["road_class"].append(road_class(tags["highway"][index]))
        columns["surface"].append(_cut(text(tags["surface"][index]), limits["surface"]))
        columns["lanes"].append(road_lanes(tags["lanes"][index]))
        columns["ref"].append(_cut(text(tags["ref"][index]), limits["ref"]))
    notes = [
        Issue(
            "osm_roads_read",
            Severity.INFO,
            file=name,
            params={"inside": int(inside.sum()), "read": int(wanted.sum())},
        )
    ]
    notes += _degenerate_notes(name, [ids[i] for i in np.flatnonzero(degenerate)])
    return shapely.to_wkb(geometries[inside]), columns, notes


def _has_length(geometries: np.ndarray) -> np.ndarray:
    """Non-empty lines of two distinct points or more (a way of one node has none)."""
    result = np.zeros(len(geometries), dtype=bool)
    present = np.array([g is not None for g in geometries], dtype=bool)
    result[present] = ~shapely.is_empty(geometries[present]) & (
        shapely.length(geometries[present]) > 0
    )
    return result


def _degenerate_notes(name: str, ids: Sequence[str]) -> list[Issue]:
    if not ids:
        return []
    listed = ", ".join(ids[:IDS_LISTED]) + (", …" if len(ids) > IDS_LISTED else "")
    return [
        Issue(
            "osm_degenerate", Severity.WARNING, file=name, params={"count": len(ids), "ids": listed}
        )
    ]


def _landmark_points(
    path: Path, *, name: str, boundary: shapely.Geometry, layer: str
) -> tuple[list[str], np.ndarray, dict[str, np.ndarray], list[str]]:
    """Landmark candidates of one layer: ids, points (areas: a point inside), tags, bad ids."""
    wkb, tags = _read_layer(
        path, name=name, layer=layer, where=LANDMARK_WHERE, bbox=boundary.bounds
    )
    if layer == "points":
        ids = [f"node/{osm_id}" for osm_id in tags["osm_id"]]
    else:
        ids = [
            f"relation/{relation}" if relation is not None else f"way/{way}"
            for relation, way in zip(tags["osm_id"], tags["osm_way_id"], strict=True)
        ]
    geometries = shapely.from_wkb(wkb)
    bad: list[str] = []
    if layer != "points" and len(geometries):
        usable = ~shapely.is_empty(geometries)
        invalid = usable & ~shapely.is_valid(geometries)
        geometries[invalid] = shapely.make_valid(geometries[invalid])
        usable &= ~shapely.is_empty(geometries)
        points = np.full(len(geometries), None, dtype=object)
        points[usable] = shapely.point_on_surface(geometries[usable])
        bad = [ids[i] for i in np.flatnonzero(~usable)]
        geometries = points
    return ids, geometries, tags, bad


def _landmarks(
    path: Path, *, name: str, boundary: shapely.Geometry
) -> tuple[np.ndarray, dict[str, list], list[Issue]]:
    limits = {f: _max_length(Landmark, f) for f in ("name_th", "name_en", "source_kind")}
    columns: dict[str, list] = {column: [] for column in LANDMARK_COLUMNS}
    points: list[shapely.Geometry] = []
    candidates = 0
    degenerate: list[str] = []
    for layer in ("points", "multipolygons"):
        ids, geometries, tags, bad = _landmark_points(
            path, name=name, boundary=boundary, layer=layer
        )
        degenerate += bad
        for index, osm_id in enumerate(ids):
            row_tags = {tag: values[index] for tag, values in tags.items()}
            row_tags["name:th"], row_tags["name:en"] = row_tags["name_th"], row_tags["name_en"]
            kind = landmark_kind(row_tags)
            geometry = geometries[index]
            if kind is None or geometry is None:
                continue
            candidates += 1
            if not shapely.intersects(boundary, geometry):
                continue
            name_th, name_en = split_names(
                row_tags["name_th"], row_tags["name_en"], row_tags["name"]
            )
            columns["osm_id"].append(osm_id)
            columns["name_th"].append(_cut(name_th, limits["name_th"]))
            columns["name_en"].append(_cut(name_en, limits["name_en"]))
            columns["category"].append(landmark_category(kind, text(row_tags["religion"]), name_th))
            columns["source_kind"].append(_cut(kind, limits["source_kind"]))
            points.append(geometry)
    notes = [
        Issue(
            "osm_landmarks_read",
            Severity.INFO,
            file=name,
            params={"inside": len(points), "read": candidates},
        )
    ]
    notes += _degenerate_notes(name, degenerate)
    return shapely.to_wkb(np.array(points, dtype=object)), columns, notes


def _batches_of(
    wkb: np.ndarray, columns: dict[str, list]
) -> Callable[[Sequence[str], int, bool], Iterator[RawBatch]]:
    arrays = {column: np.array(values, dtype=object) for column, values in columns.items()}

    def batches(wanted: Sequence[str], batch_size: int, read_geometry: bool) -> Iterator[RawBatch]:
        for start in range(0, len(wkb), batch_size):
            end = start + batch_size
            values = {column: arrays[column][start:end] for column in wanted if column in arrays}
            geometry = wkb[start:end] if read_geometry else np.full(end - start, None)
            yield RawBatch(start, geometry, values)

    return batches


def _source(
    *,
    name: str,
    path: Path,
    fmt: str,
    layer: str,
    checksum: str,
    wkb: np.ndarray,
    columns: dict[str, list],
    notes: list[Issue],
) -> Source:
    geometries = shapely.from_wkb(wkb)
    bounds = tuple(float(b) for b in shapely.total_bounds(geometries)) if len(wkb) else None
    return Source(
        name=name,
        path=path,
        format=f"OpenStreetMap {fmt}",
        driver="OSM",
        layer=layer,
        layers=["points", "lines", "multipolygons"],
        encoding=None,
        columns=list(columns),
        crs="EPSG:4326",
        geometry_type="Point" if layer != "lines" else "LineString",
        feature_count=len(wkb),
        bounds=bounds,
        fast_seek=False,
        checksum=checksum,
        notes=notes,
        batches=_batches_of(wkb, columns),
    )


@contextmanager
def _gdal_temp_dir() -> Iterator[None]:
    """The OSM driver's node index goes to a private temporary directory, removed after."""
    with tempfile.TemporaryDirectory(prefix="mueang-osm-") as directory:
        previous = pyogrio.get_gdal_config_option("CPL_TMPDIR")
        pyogrio.set_gdal_config_options({"CPL_TMPDIR": directory})
        try:
            yield
        finally:
            pyogrio.set_gdal_config_options({"CPL_TMPDIR": previous})


def osm_sources_open(
    path: Path | str, *, municipality: Municipality, limits: ImportLimits, display_name: str = ""
) -> tuple[Source, Source]:
    """The roads and the landmarks of an extract that lie in the municipality, as sources."""
    path = Path(path)
    name = display_name or path.name
    if str(path).startswith("/vsi") or not path.exists():
        raise refuse("file_not_found", file=name)
    if not path.is_file():
        raise refuse("not_a_file", file=name)
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise refuse("file_too_large", file=name, size=size, limit=limits.max_file_bytes)
    fmt = _format_of(path, name=name)
    _sniff(path, fmt, name=name)
    checksum = file_checksum(path)
    boundary = _boundary(municipality)
    shapely.prepare(boundary)
    with _gdal_temp_dir():
        road_wkb, road_columns, road_notes = _roads(path, name=name, boundary=boundary)
        landmark_wkb, landmark_columns, landmark_notes = _landmarks(
            path, name=name, boundary=boundary
        )
    common = {"name": name, "path": path, "fmt": fmt, "checksum": checksum}
    return (
        _source(**common, layer="lines", wkb=road_wkb, columns=road_columns, notes=road_notes),
        _source(
            **common,
            layer="points, multipolygons",
            wkb=landmark_wkb,
            columns=landmark_columns,
            notes=landmark_notes,
        ),
    )


def osm_import(
    *,
    municipality: Municipality,
    path: Path | str,
    dry_run: bool = False,
    delete_missing: bool = False,
    user: object | None = None,
    limits: ImportLimits | None = None,
    progress: Progress | None = None,
    display_name: str | None = None,
) -> list[ImportReport]:
    """Import the roads and landmarks of an OSM extract that lie in `municipality`.

    One transaction for both layers. Features are matched by OSM id within the datasets
    `roads-osm` and `landmarks-osm` (created with the ODbL licence when missing): known ids are
    updated, new ones created; features the extract no longer holds are kept, or deleted with
    `delete_missing`. Raises `ImportRefused` for a file that is not a readable OSM extract, or
    one with nothing inside the municipality.

    Returns
    -------
    list[ImportReport]
        The reports of the roads and of the landmarks.
    """
    limits = limits or ImportLimits.from_settings()
    roads, landmarks = osm_sources_open(
        path, municipality=municipality, limits=limits, display_name=display_name or ""
    )
    if not roads.feature_count and not landmarks.feature_count:
        raise refuse("osm_nothing_inside", file=roads.name, municipality=municipality.name_th)
    jobs = [
        import_job_prepare(
            source,
            municipality=municipality,
            kind=kind,
            mapping={column: column for column in source.columns if column != ID_FIELD},
            id_field=ID_FIELD,
            dataset_slug=slug,
            dataset_title=osm_dataset_defaults(kind, source.name)["title"],
            dataset_defaults=osm_dataset_defaults(kind, f"OpenStreetMap ({source.name})"),
            dry_run=dry_run,
            limits=limits,
        )
        for source, kind, slug in (
            (roads, "roads", ROADS_SLUG),
            (landmarks, "landmarks", LANDMARKS_SLUG),
        )
    ]
    import_jobs_run(
        jobs,
        municipality=municipality,
        user=user,
        limits=limits,
        dry_run=dry_run,
        delete_missing=delete_missing,
        progress=progress,
    )
    return [job.report for job in jobs]
