"""Which column of a file fills which field: suggestions from common English and Thai names.

Names are compared after case folding and removing spaces, '_', '-', '.' and ':', so "Name_TH",
"name:th" and "name th" are the same. `--map COLUMN=FIELD` overrides a suggestion and
`--map COLUMN=-` leaves a column out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from layers.imports.kinds import Kind
from layers.imports.messages import ImportRefused, Issue, quoted

IGNORE = "-"


def normalise(name: str) -> str:
    """A column name reduced for comparison: 'Name_TH' -> 'nameth', 'ชื่อ ถนน' -> 'ชื่อถนน'."""
    return re.sub(r"[\s_\-.:()/]+", "", name.casefold())


# field -> column names seen in municipal, hospital and OSM exports, most specific first.
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name_th": ("name_th", "name:th", "namt", "nam_t", "thai_name", "name_thai", "ชื่อไทย",
                "ชื่อภาษาไทย", "ชื่อถนน", "ชื่อสถานที่", "ชื่ออาคาร", "ชื่อ", "name", "ชื่อ_th"),
    "name_en": ("name_en", "name:en", "name_eng", "nam_e", "name_english", "english_name",
                "ชื่ออังกฤษ", "ชื่อภาษาอังกฤษ"),
    "road_class": ("road_class", "highway", "fclass", "roadclass", "class", "ประเภทถนน",
                   "ชั้นทาง", "ประเภททาง", "type"),
    "surface": ("surface", "ผิวทาง", "ประเภทผิวทาง", "ผิวจราจร"),
    "lanes": ("lanes", "lane", "ช่องจราจร", "จำนวนช่องจราจร"),
    "ref": ("ref", "route", "route_no", "หมายเลขทางหลวง", "หมายเลขถนน", "รหัสสายทาง"),
    "category": ("category", "หมวดหมู่", "ประเภทสถานที่", "ประเภท", "amenity", "type"),
    "source_kind": ("source_kind", "subtype", "ประเภทย่อย"),
    "house_number": ("house_number", "addr:housenumber", "housenumber", "house_no", "houseno",
                     "บ้านเลขที่", "เลขที่บ้าน", "เลขบ้าน"),
    "building_type": ("building_type", "building", "ประเภทอาคาร", "ลักษณะอาคาร", "type",
                      "ประเภท"),
    "levels": ("levels", "building:levels", "floors", "storeys", "จำนวนชั้น", "ชั้น"),
    "population": ("population", "residents", "pop", "จำนวนผู้อยู่อาศัย", "ผู้อยู่อาศัย",
                   "จำนวนประชากร", "ประชากร", "จำนวนคน"),
    "population_is_estimate": ("population_is_estimate", "estimated", "ประมาณการ"),
    "elderly": ("elderly", "ผู้สูงอายุ", "จำนวนผู้สูงอายุ"),
    "bedridden": ("bedridden", "ผู้ป่วยติดเตียง", "ติดเตียง"),
    "disabled": ("disabled", "ผู้พิการ", "คนพิการ", "จำนวนผู้พิการ"),
    "infants": ("infants", "ทารก", "เด็กเล็ก"),
    "event": ("event", "event_name", "เหตุการณ์", "ชื่อเหตุการณ์"),
    "observed_date": ("observed_date", "observed", "date", "วันที่สำรวจ", "วันที่"),
    "is_forecast": ("is_forecast", "forecast", "scenario", "คาดการณ์"),
    "hazard_class": ("hazard_class", "hazard", "class", "ระดับความรุนแรง", "ระดับน้ำท่วม",
                     "ระดับ"),
    "depth_min_m": ("depth_min_m", "depth_min", "min_depth", "ความลึกต่ำสุด"),
    "depth_max_m": ("depth_max_m", "depth_max", "max_depth", "depth", "ความลึกสูงสุด",
                    "ความลึก"),
    "source": ("source", "แหล่งข้อมูล", "ที่มา"),
    "onset_date": ("onset_date", "onset", "date_onset", "datesick", "date_sick", "sick_date",
                   "วันเริ่มป่วย", "วันที่เริ่มป่วย"),
    "report_date": ("report_date", "reported", "date_report", "datereport", "วันที่รายงาน",
                    "วันรายงาน", "วันที่รับรายงาน"),
    "investigated_at": ("investigated_at", "investigated", "วันที่สอบสวน", "วันสอบสวนโรค",
                        "วันที่สอบสวนโรค"),
    "diagnosis": ("diagnosis", "dx", "disease", "ผลวินิจฉัย", "การวินิจฉัย", "วินิจฉัย", "โรค"),
    "age_group": ("age_group", "agegroup", "age", "กลุ่มอายุ", "อายุ"),
    "sex": ("sex", "gender", "เพศ"),
    "status": ("status", "case_status", "สถานะ", "สถานะผู้ป่วย"),
}  # fmt: skip
ID_SYNONYMS = ("source_id", "id", "fid", "gid", "objectid", "osm_id", "case_id", "uid",
               "รหัส", "เลขที่", "ลำดับ")  # fmt: skip
LATITUDE_NAMES = ("lat", "latitude", "ละติจูด", "ลติจูด", "พิกัดละติจูด", "y", "พิกัดy",
                  "northing", "north", "utm_n", "utmn", "y_coord", "ycoord", "point_y")  # fmt: skip
LONGITUDE_NAMES = ("lon", "lng", "long", "longitude", "ลองจิจูด", "ลองติจูด", "พิกัดลองจิจูด",
                   "x", "พิกัดx", "easting", "east", "utm_e", "utme", "x_coord", "xcoord",
                   "point_x")  # fmt: skip
COMBINED_NAMES = ("latlon", "latlng", "lat_lon", "lat_long", "coordinates", "พิกัด", "location",
                  "ตำแหน่ง")  # fmt: skip
COORDINATE_TARGETS = {"lat": "y", "latitude": "y", "y": "y", "lon": "x", "lng": "x",
                      "longitude": "x", "x": "x", "latlon": "latlon"}  # fmt: skip
# KML attributes GDAL adds that say nothing about the feature.
KML_NOISE = {"id", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude",
             "visibility", "drawOrder", "icon", "snippet"}  # fmt: skip

# field -> values in other words (English and Thai, OSM tags, ICD-10) -> stored choice.
CHOICE_SYNONYMS: dict[str, dict[str, str]] = {
    "road_class": {
        "motorway_link": "motorway", "trunk_link": "trunk", "primary_link": "primary",
        "secondary_link": "secondary", "tertiary_link": "tertiary", "footway": "path",
        "cycleway": "path", "pedestrian": "path", "steps": "path", "bridleway": "path",
        "unclassified": "unclassified", "road": "other", "ทางหลวงพิเศษ": "motorway",
        "ทางหลวงแผ่นดิน": "trunk", "ถนนสายหลัก": "primary", "ถนนสายรอง": "secondary",
        "ทางหลวงชนบท": "tertiary", "ถนนในหมู่บ้าน": "residential", "ซอย": "residential",
        "ทางเดิน": "path", "ทางเท้า": "path",
    },
    "category": {
        "วัด": "temple", "wat": "temple", "buddhist temple": "temple", "ศาลเจ้า": "shrine",
        "ศาลพระภูมิ": "shrine", "โบสถ์คริสต์": "church", "คริสตจักร": "church", "มัสยิด": "mosque",
        "สุเหร่า": "mosque", "โรงเรียน": "school", "college": "school", "kindergarten": "school",
        "โรงพยาบาล": "hospital", "รพ.": "hospital", "รพ.สต.": "health_centre",
        "โรงพยาบาลส่งเสริมสุขภาพตำบล": "health_centre", "สถานีอนามัย": "health_centre",
        "ศูนย์บริการสาธารณสุข": "health_centre", "clinic": "health_centre",
        "doctors": "health_centre", "health centre": "health_centre",
        "health center": "health_centre", "ตลาด": "market", "marketplace": "market",
        "สำนักงาน": "government", "หน่วยราชการ": "government", "ที่ว่าการอำเภอ": "government",
        "townhall": "government", "police": "government", "post_office": "government",
        "ศาลากลาง": "government", "ศูนย์ชุมชน": "community_centre",
        "ศาลาประชาคม": "community_centre", "ศาลาเอนกประสงค์": "community_centre",
        "community center": "community_centre", "ศูนย์พักพิง": "shelter",
        "ศูนย์อพยพ": "shelter", "แหล่งท่องเที่ยว": "tourist_spot", "attraction": "tourist_spot",
        "museum": "tourist_spot", "viewpoint": "tourist_spot", "ท่าเรือ": "canal_pier",
        "คลอง": "canal_pier", "pier": "canal_pier", "canal": "canal_pier",
        "ร้าน otop": "otop_shop", "otop": "otop_shop", "อื่นๆ": "other", "อื่น ๆ": "other",
    },
    "hazard_class": {
        "แห้ง": "dry", "เฝ้าระวัง": "dry", "caution": "dry", "none": "dry", "น้อย": "low",
        "ต่ำ": "low", "ปานกลาง": "medium", "กลาง": "medium", "moderate": "medium",
        "มาก": "high", "สูง": "high", "รุนแรง": "high", "severe": "high",
    },
    "diagnosis": {
        "dengue fever": "DF", "ไข้เดงกี": "DF", "ไข้เดงกี่": "DF", "a90": "DF",
        "dengue haemorrhagic fever": "DHF", "dengue hemorrhagic fever": "DHF",
        "ไข้เลือดออก": "DHF", "ไข้เลือดออกเดงกี": "DHF", "a91": "DHF",
        "dengue shock syndrome": "DSS", "ไข้เลือดออกช็อก": "DSS",
        "ไข้เลือดออกที่มีภาวะช็อก": "DSS", "a91.0": "DSS",
    },
    "sex": {
        "female": "F", "f": "F", "หญิง": "F", "ญ": "F", "ญ.": "F", "2": "F", "male": "M",
        "m": "M", "ชาย": "M", "ช": "M", "ช.": "M", "1": "M", "unknown": "U", "ไม่ทราบ": "U",
    },
    "status": {
        "ยืนยัน": "confirmed", "ผู้ป่วยยืนยัน": "confirmed", "สงสัย": "suspected",
        "ผู้ป่วยสงสัย": "suspected", "น่าจะเป็น": "probable", "ผู้ป่วยเข้าข่าย": "probable",
        "เข้าข่าย": "probable", "ตัดออก": "discarded", "ไม่ใช่ผู้ป่วย": "discarded",
    },
}  # fmt: skip


@dataclass
class Mapping:
    """The column feeding each field, the columns left out, and how it was decided."""

    fields: dict[str, str] = field(default_factory=dict)  # field -> column
    ignored: list[str] = field(default_factory=list)
    suggested: list[str] = field(default_factory=list)  # fields filled by suggestion
    x_column: str | None = None
    y_column: str | None = None
    latlon_column: str | None = None


def parse_map_options(values: Iterable[str], *, file: str = "") -> dict[str, str]:
    """'COLUMN=FIELD' strings to {column: field}; the last '=' splits (columns may hold '=')."""
    result = {}
    for value in values:
        column, sep, target = value.rpartition("=")
        if not sep or not column.strip() or not target.strip():
            raise ImportRefused([Issue("mapping_bad", file=file, params={"value": quoted(value)})])
        result[column.strip()] = target.strip()
    return result


def _find(columns: Sequence[str], names: Iterable[str], taken: set[str]) -> str | None:
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(normalise(column), column)
    for name in names:
        column = by_key.get(normalise(name))
        if column is not None and column not in taken:
            return column
    return None


def id_column_suggest(columns: Sequence[str]) -> str | None:
    """A column that looks like a feature id ('id', 'fid', 'รหัส', ...), if there is one."""
    return _find(columns, ID_SYNONYMS, set())


def mapping_resolve(
    columns: Sequence[str],
    kind: Kind,
    *,
    given: dict[str, str],
    file: str = "",
    coordinates: bool = False,
    exclude: Iterable[str] = (),
) -> Mapping:
    """The mapping for `kind`: `given` ({column: field or '-'}) first, then suggestions.

    With `coordinates`, also find the longitude/latitude (or x/y) columns of a CSV.
    """
    issues = []
    for column in given:
        if column not in columns:
            issues.append(
                Issue(
                    "mapping_unknown_column",
                    file=file,
                    params={"column": quoted(column), "columns": ", ".join(columns)},
                )
            )
    mapping = Mapping()
    taken = set(exclude)
    for column, target in given.items():
        if column not in columns:
            continue
        taken.add(column)
        coordinate = COORDINATE_TARGETS.get(target.casefold())
        if target == IGNORE:
            mapping.ignored.append(column)
        elif coordinates and coordinate == "x":
            mapping.x_column = column
        elif coordinates and coordinate == "y":
            mapping.y_column = column
        elif coordinates and coordinate == "latlon":
            mapping.latlon_column = column
        elif kind.model is None or target in kind.fields:
            mapping.fields[target] = column
        else:
            issues.append(
                Issue(
                    "mapping_unknown_field",
                    file=file,
                    params={
                        "field": quoted(target),
                        "kind": kind.name,
                        "fields": ", ".join(kind.fields),
                    },
                )
            )
    if issues:
        raise ImportRefused(issues)
    if coordinates:
        _coordinates_suggest(columns, mapping, taken)
    if kind.model is None:
        for column in columns:
            if column not in taken:
                mapping.fields[column] = column
        return mapping
    for target in kind.fields:
        if target in mapping.fields:
            continue
        column = _find(columns, COLUMN_SYNONYMS.get(target, (target,)), taken)
        if column is not None:
            mapping.fields[target] = column
            mapping.suggested.append(target)
            taken.add(column)
    mapping.ignored.extend(c for c in columns if c not in taken and c not in mapping.ignored)
    return mapping


def _coordinates_suggest(columns: Sequence[str], mapping: Mapping, taken: set[str]) -> None:
    if mapping.latlon_column or (mapping.x_column and mapping.y_column):
        taken.update(c for c in (mapping.x_column, mapping.y_column, mapping.latlon_column) if c)
        return
    mapping.y_column = mapping.y_column or _find(columns, LATITUDE_NAMES, taken)
    mapping.x_column = mapping.x_column or _find(columns, LONGITUDE_NAMES, taken)
    if not (mapping.x_column and mapping.y_column):
        mapping.x_column = mapping.y_column = None
        mapping.latlon_column = _find(columns, COMBINED_NAMES, taken)
    taken.update(c for c in (mapping.x_column, mapping.y_column, mapping.latlon_column) if c)
