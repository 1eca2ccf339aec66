"""Feature editing, the writes: create, change, delete and undo one feature of a layer.

Every edit made on the map goes through here: the geometry is checked (type, validity, finite
coordinates in EPSG:4326, size, within the municipality with a margin) and the attributes too
(the layer's editable fields only, each cleaned by its model field: type, length, choices),
then the row is written inside the tenant scope, where the history triggers record who changed
what in the same transaction. A change names the entity tag the editor saw (`if_match`): if
the feature changed since, nothing is written and the editor is told (HTTP 412).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiLineString, MultiPolygon
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, CharField

from layers.editing.selectors import EDIT_FIELDS, etag_sql
from layers.history.selectors import HistoryError, feature_history
from layers.history.services import change_context, restore_feature
from layers.models import WGS84, Dataset, FeatureHistory, Municipality
from layers.registry import Layer
from layers.tenancy import tenant_scope

#: How far outside its boundary a municipality's feature may reach (a road leaving town).
BOUNDARY_MARGIN_M = 500
#: The most vertices one edited geometry may have (a footprint or a long road has hundreds).
MAX_VERTICES = 5_000
#: Names the GeoJSON `crs` member may give: the only CRS edits are taken in.
WGS84_NAMES = frozenset(
    {
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
    }
)
#: Geometry types each layer's geometry accepts (a single part becomes a one-part multi).
ACCEPTED_TYPES = {
    "Point": ("Point",),
    "MultiLineString": ("LineString", "MultiLineString"),
    "MultiPolygon": ("Polygon", "MultiPolygon"),
}
NOTE = "map edit"


class EditRefused(Exception):
    """An edit that cannot be made, with the reason in Thai and English and an HTTP status."""

    def __init__(self, thai: str, english: str, *, code: str, status: int = 400):
        super().__init__(f"{thai} / {english}")
        self.thai, self.english, self.code, self.status = thai, english, code, status


# --- Checks -----------------------------------------------------------------------------------


def _coordinates(value, depth: int = 0) -> Iterator[list]:
    """Every position of GeoJSON `coordinates`, refusing anything that is not nested numbers."""
    if not isinstance(value, list) or depth > 4:
        raise _bad_geometry("coordinates must be nested arrays of numbers", "พิกัดต้องเป็นตัวเลข")
    if value and all(
        isinstance(item, int | float) and not isinstance(item, bool) for item in value
    ):
        yield value
        return
    for item in value:
        yield from _coordinates(item, depth + 1)


def _bad_geometry(english: str, thai: str, code: str = "geometry_invalid") -> EditRefused:
    return EditRefused(f"รูปร่างไม่ถูกต้อง: {thai}", f"invalid geometry: {english}", code=code)


def _check_crs(geometry: dict) -> None:
    crs = geometry.get("crs")
    if crs is None:
        return
    properties = crs.get("properties") if isinstance(crs, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    if name not in WGS84_NAMES:
        raise _bad_geometry(
            f"coordinates must be longitude/latitude in EPSG:4326, not {str(name)[:60]!r}",
            f"พิกัดต้องเป็นลองจิจูด/ละติจูด EPSG:4326 ไม่ใช่ {str(name)[:60]!r}",
            code="geometry_crs",
        )


def _check_positions(geometry: dict) -> None:
    for count, position in enumerate(_coordinates(geometry.get("coordinates")), start=1):
        if count > MAX_VERTICES:
            raise _bad_geometry(
                f"more than {MAX_VERTICES} vertices",
                f"มีจุดยอดเกิน {MAX_VERTICES} จุด",
                code="geometry_too_large",
            )
        if len(position) != 2 or not all(math.isfinite(v) for v in position):
            raise _bad_geometry(
                "every position must be two finite numbers (longitude, latitude)",
                "ทุกพิกัดต้องมีตัวเลขสองค่า (ลองจิจูด ละติจูด)",
            )
        lon, lat = position
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _bad_geometry("a position is outside longitude/latitude", "พิกัดอยู่นอกช่วง")


def geometry_clean(*, layer: Layer, geometry: object, municipality: Municipality) -> GEOSGeometry:
    """The GeoJSON geometry as the layer stores it, or `EditRefused` saying what is wrong."""
    accepted = ACCEPTED_TYPES[layer.geometry]
    if not isinstance(geometry, dict) or geometry.get("type") not in accepted:
        raise _bad_geometry(
            f"a {' or '.join(accepted)} is needed",
            f"ต้องเป็น {' หรือ '.join(accepted)}",
            code="geometry_type",
        )
    _check_crs(geometry)
    _check_positions(geometry)
    plain = {"type": geometry["type"], "coordinates": geometry["coordinates"]}
    try:
        geos = GEOSGeometry(json.dumps(plain), srid=WGS84)
    except (GEOSException, GDALException, ValueError, TypeError) as error:
        raise _bad_geometry(str(error)[:200], "อ่านรูปร่างไม่ได้") from None
    if geos.empty:
        raise _bad_geometry("the geometry is empty", "รูปร่างว่างเปล่า")
    if not geos.valid:
        reason = geos.valid_reason[:200]
        raise _bad_geometry(reason, f"รูปร่างตัดกันเองหรือไม่สมบูรณ์ ({reason})")
    geos = _as_multi(geos, layer)
    _check_inside(geos, municipality)
    return geos


def _as_multi(geos: GEOSGeometry, layer: Layer) -> GEOSGeometry:
    if layer.geometry == "MultiLineString" and geos.geom_type == "LineString":
        return MultiLineString(geos, srid=WGS84)
    if layer.geometry == "MultiPolygon" and geos.geom_type == "Polygon":
        return MultiPolygon(geos, srid=WGS84)
    return geos


def _check_inside(geos: GEOSGeometry, municipality: Municipality) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_CoveredBy(ST_Transform(ST_GeomFromEWKB(%s), m.metric_srid), "
            "ST_Buffer(ST_Transform(m.boundary, m.metric_srid), %s)) "
            "FROM layers_municipality m WHERE m.id = %s",
            [bytes(geos.ewkb), BOUNDARY_MARGIN_M, municipality.pk],
        )
        inside = cursor.fetchone()[0]
    if not inside:
        raise _bad_geometry(
            f"it lies outside {municipality.code} (more than {BOUNDARY_MARGIN_M} m past "
            "its boundary)",
            f"อยู่นอกเขต{municipality.name_th} (เกินขอบเขต {BOUNDARY_MARGIN_M} เมตร)",
            code="geometry_outside",
        )


def attributes_clean(*, layer: Layer, properties: object, partial: bool) -> dict[str, object]:
    """The editable attributes given, each cleaned by its model field (unknown names refused)."""
    if not isinstance(properties, dict):
        raise EditRefused(
            "คุณสมบัติต้องเป็นออบเจกต์ JSON", "properties must be a JSON object", code="properties"
        )
    allowed = EDIT_FIELDS[layer.name]
    unknown = sorted(str(name)[:40] for name in properties if name not in allowed)
    if unknown:
        raise EditRefused(
            f"แก้ไขช่องเหล่านี้ไม่ได้: {', '.join(unknown)} (ได้เฉพาะ {', '.join(allowed)})",
            f"these attributes cannot be edited: {', '.join(unknown)} (only {', '.join(allowed)})",
            code="attribute_unknown",
        )
    names = [name for name in allowed if name in properties] if partial else list(allowed)
    return {name: _field_clean(layer, name, properties.get(name)) for name in names}


def _field_clean(layer: Layer, name: str, value: object) -> object:
    """One attribute as its model field takes it: text as text, numbers as JSON numbers."""
    field = layer.model._meta.get_field(name)
    if isinstance(field, CharField):
        value = "" if value is None else value
        fits = isinstance(value, str) and "\x00" not in value
        value = value.strip() if fits and isinstance(value, str) else value
    elif isinstance(field, BooleanField):
        fits = isinstance(value, bool)
    else:  # the whole numbers (lanes, levels): empty means unknown
        value = None if value == "" else value
        fits = value is None or (isinstance(value, int) and not isinstance(value, bool))
    try:
        if not fits:
            raise ValidationError("a value of the wrong type")
        return field.clean(value, None)
    except ValidationError as error:
        detail = "; ".join(str(m) for m in error.messages)[:200]
        raise EditRefused(
            f"ค่าของ {name} ใช้ไม่ได้ ({detail})",
            f"the value of {name} cannot be used ({detail})",
            code="attribute_invalid",
        ) from None


# --- Writes -----------------------------------------------------------------------------------


@contextmanager
def _edit_scope(municipality: Municipality, user) -> Iterator[None]:
    """The tenant scope (who edits, for the history triggers) and the edit's note."""
    with (
        tenant_scope(municipality_ids=[municipality.pk], user_id=getattr(user, "pk", None)),
        change_context(note=NOTE),
    ):
        yield


def _locked_etag(layer: Layer, municipality: Municipality, feature_id: int) -> str | None:
    """Lock the feature (and its restores) for this transaction; its tag, or None if absent."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, %s))", [layer.table, feature_id]
        )
        cursor.execute(
            f"SELECT {etag_sql()} FROM {layer.table} t "
            "WHERE t.id = %s AND t.municipality_id = %s FOR UPDATE",
            [feature_id, municipality.pk],
        )
        found = cursor.fetchone()
    return found[0] if found else None


def _checked_match(
    layer: Layer, municipality: Municipality, feature_id: int, if_match: str | None
) -> None:
    """Lock the feature; refuse when it is absent (404), untagged (428) or changed (412)."""
    current = _locked_etag(layer, municipality, feature_id)
    if current is None:
        raise EditRefused(
            f"ไม่พบรายการ {feature_id}", f"no feature {feature_id}", code="not_found", status=404
        )
    if not if_match:
        raise EditRefused(
            "ต้องระบุรุ่นของรายการที่แก้ไข (If-Match)",
            "say which version you edited (If-Match)",
            code="precondition_required",
            status=428,
        )
    if if_match.strip().removeprefix("W/") != current:
        raise EditRefused(
            "รายการนี้ถูกแก้ไขโดยผู้อื่นหลังจากที่คุณเปิดดู กรุณาโหลดใหม่แล้วแก้ไขอีกครั้ง",
            "someone changed this feature after you opened it; reload it and edit again",
            code="changed_since",
            status=412,
        )


def _dataset_for_new(layer: Layer, municipality: Municipality, slug: str | None) -> Dataset:
    datasets = Dataset.objects.filter(municipality=municipality, kind=layer.name)
    dataset = (
        datasets.filter(slug=slug).first() if slug else datasets.order_by("-updated_at").first()
    )
    if dataset is None:
        raise EditRefused(
            "ไม่มีชุดข้อมูลของชั้นข้อมูลนี้ให้เพิ่มรายการ",
            "no dataset of this layer to add the feature to",
            code="dataset_unknown",
        )
    return dataset


def feature_create(
    *,
    municipality: Municipality,
    layer: Layer,
    geometry: object,
    properties: object,
    user,
    dataset_slug: str | None = None,
) -> int:
    """Add a feature to one of the layer's datasets (the newest, unless `dataset_slug`); its id."""
    with _edit_scope(municipality, user):
        geos = geometry_clean(layer=layer, geometry=geometry, municipality=municipality)
        values = attributes_clean(layer=layer, properties=properties, partial=False)
        dataset = _dataset_for_new(layer, municipality, dataset_slug)
        feature = layer.model(municipality=municipality, dataset=dataset, geom=geos, **values)
        feature.save()
        return feature.pk


def feature_update(
    *,
    municipality: Municipality,
    layer: Layer,
    feature_id: int,
    geometry: object | None,
    properties: object,
    user,
    if_match: str | None,
    replace: bool,
) -> int:
    """Change a feature's geometry and/or attributes (all of them when `replace`, as PUT)."""
    with _edit_scope(municipality, user):
        _checked_match(layer, municipality, feature_id, if_match)
        if replace and geometry is None:
            raise _bad_geometry("a replacement needs its geometry", "ต้องมีรูปร่าง", "geometry_type")
        values = attributes_clean(layer=layer, properties=properties, partial=not replace)
        if geometry is not None:
            values["geom"] = geometry_clean(
                layer=layer, geometry=geometry, municipality=municipality
            )
        feature = layer.model.objects.get(pk=feature_id, municipality=municipality)
        for name, value in values.items():
            setattr(feature, name, value)
        feature.save()
        return feature_id


def feature_delete(
    *, municipality: Municipality, layer: Layer, feature_id: int, user, if_match: str | None
) -> int:
    """Delete a feature (its history keeps it, so it can be restored)."""
    with _edit_scope(municipality, user):
        _checked_match(layer, municipality, feature_id, if_match)
        layer.model.objects.filter(pk=feature_id, municipality=municipality).delete()
        return feature_id


def feature_edit_undo(
    *, municipality: Municipality, layer: Layer, feature_id: int, user, expected_last: int
) -> int:
    """Take back the feature's last change, if it is still `expected_last` (the one just made).

    A change or a deletion is undone by restoring the version before it (the history's
    restore, itself a change in the history); a creation by deleting the feature again.
    """
    with _edit_scope(municipality, user):
        _locked_etag(layer, municipality, feature_id)
        versions = feature_history(
            municipality=municipality, layer=layer.tracked_as or layer.name, feature_id=feature_id
        )
        if not versions:
            raise EditRefused(
                f"ไม่พบรายการ {feature_id}", f"no feature {feature_id}", code="not_found", status=404
            )
        if versions[-1].entry_id != expected_last:
            raise EditRefused(
                "รายการนี้ถูกแก้ไขอีกหลังการบันทึกของคุณ จึงเลิกทำไม่ได้ ดูประวัติของรายการแทน",
                "the feature changed again after your save, so it cannot be undone here; "
                "see its history instead",
                code="changed_since",
                status=409,
            )
        if versions[-1].op == FeatureHistory.Op.INSERT:
            layer.model.objects.filter(pk=feature_id, municipality=municipality).delete()
        else:
            _restore_previous(municipality, layer, feature_id, user, expected_last)
        return feature_id


def _restore_previous(municipality, layer: Layer, feature_id: int, user, last: int) -> None:
    try:
        restore_feature(
            municipality=municipality,
            layer=layer.tracked_as or layer.name,
            feature_id=feature_id,
            user=user,
            expected_last=last,
        )
    except HistoryError as refused:
        raise EditRefused(refused.thai, refused.english, code=refused.code, status=409) from None
