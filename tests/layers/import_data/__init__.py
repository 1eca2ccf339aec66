"""Builders of import test files, written into a test's tmp_path (nothing is committed).

Coordinates fall in a box well inside the Nakhon Si Thammarat demo boundary
(lon 99.952-99.9595, lat 8.422-8.437, checked against fixtures/data/.../boundary.geojson with a
300 m margin), unless a test puts them elsewhere on purpose.
"""

from __future__ import annotations

import io
import stat
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS

INSIDE = (99.953, 8.423, 99.959, 8.436)  # lon/lat box inside Nakhon Si Thammarat
OUTSIDE = (100.98, 13.36)  # Chon Buri, far outside Nakhon Si Thammarat
THAI_ROAD_NAMES = ["ถนนราชดำเนิน", "ถนนพัฒนาการ", "ถนนศรีปราชญ์", "ถนนท่าช้าง", "ถนนกะโรม"]


def inside_points(n: int) -> list[tuple[float, float]]:
    """`n` distinct lon/lat points on a grid inside the municipality."""
    side = int(np.ceil(np.sqrt(n)))
    xs = np.linspace(INSIDE[0], INSIDE[2], side)
    ys = np.linspace(INSIDE[1], INSIDE[3], side)
    return [(float(x), float(y)) for y in ys for x in xs][:n]


def roads_frame(n: int = 5, *, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    """Short east-west roads with Thai names, ids r1..rn and classes."""
    lines = [shapely.LineString([(x, y), (x + 0.0004, y + 0.0001)]) for x, y in inside_points(n)]
    frame = gpd.GeoDataFrame(
        {
            "id": [f"r{i + 1}" for i in range(n)],
            "name": [THAI_ROAD_NAMES[i % len(THAI_ROAD_NAMES)] for i in range(n)],
            "highway": ["residential" if i % 2 else "primary_link" for i in range(n)],
            "lanes": [2] * n,
        },
        geometry=lines,
        crs="EPSG:4326",
    )
    return frame.to_crs(crs)


def landmarks_frame(n: int = 5) -> gpd.GeoDataFrame:
    """Points with Thai names and Thai categories."""
    categories = ["วัด", "โรงเรียน", "ตลาด", "รพ.สต.", "ไฟส่องสว่าง"]
    return gpd.GeoDataFrame(
        {
            "id": [f"p{i + 1}" for i in range(n)],
            "ชื่อ": [f"สถานที่ {i + 1}" for i in range(n)],
            "ประเภท": [categories[i % len(categories)] for i in range(n)],
        },
        geometry=[shapely.Point(p) for p in inside_points(n)],
        crs="EPSG:4326",
    )


def buildings_frame(n: int = 4) -> gpd.GeoDataFrame:
    """Square footprints (Polygons, to be coerced to MultiPolygons)."""
    squares = [shapely.box(x, y, x + 0.0001, y + 0.0001) for x, y in inside_points(n)]
    return gpd.GeoDataFrame(
        {"id": [f"b{i + 1}" for i in range(n)], "levels": [1 + i % 3 for i in range(n)]},
        geometry=squares,
        crs="EPSG:4326",
    )


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> Path:
    pyogrio.write_dataframe(frame, path, driver="GeoJSON")
    return path


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> Path:
    for name, frame in layers.items():
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", append=path.exists())
    return path


def write_shapefile_zip(
    frame: gpd.GeoDataFrame,
    path: Path,
    *,
    encoding: str = "UTF-8",
    cpg: bool = True,
    prj: str | None = "wkt",
    crs: str | None = None,
) -> Path:
    """A zipped shapefile; `prj` 'wkt', 'esri' (ESRI WKT1 of `crs`) or None (no .prj)."""
    folder = path.parent / f"{path.stem}_parts"
    folder.mkdir()
    shp = folder / "layer.shp"
    data = frame.set_crs(None, allow_override=True) if prj is None else frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL cuts long Thai column names and says so
        pyogrio.write_dataframe(data, shp, driver="ESRI Shapefile", encoding=encoding)
    if not cpg:
        shp.with_suffix(".cpg").unlink(missing_ok=True)
    if prj == "esri":
        shp.with_suffix(".prj").write_text(
            CRS.from_user_input(crs or frame.crs).to_wkt("WKT1_ESRI")
        )
    elif prj is None:
        shp.with_suffix(".prj").unlink(missing_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, arcname=part.name)
    return path


def kml_text(placemarks: Sequence[tuple[str, str, str]], *, folders: Sequence[str] = ()) -> str:
    """A KML document; placemarks are (name, category, coordinates 'lon,lat')."""
    marks = "".join(
        f"<Placemark><name>{name}</name><ExtendedData><Data name='category'><value>{category}"
        f"</value></Data></ExtendedData><Point><coordinates>{xy}</coordinates></Point></Placemark>"
        for name, category, xy in placemarks
    )
    if folders:
        body = "".join(f"<Folder><name>{folder}</name>{marks}</Folder>" for folder in folders)
    else:
        body = marks
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><name>test</name>{body}</Document></kml>\n"
    )


def landmarks_kml(n: int = 3, **kwargs) -> str:
    return kml_text(
        [(f"วัดที่ {i + 1}", "วัด", f"{x},{y},0") for i, (x, y) in enumerate(inside_points(n))],
        **kwargs,
    )


def zip_entries(path: Path, entries: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def dengue_rows(n: int, *, bad_row: int | None = None, bad_value: str = "2026-13-45") -> str:
    """A hospital-style case export with Thai column names; row `bad_row` has `bad_value`."""
    header = ["รหัสผู้ป่วย", "วันเริ่มป่วย", "วันที่รายงาน", "ผลวินิจฉัย", "เพศ", "ละติจูด", "ลองจิจูด"]
    rows = []
    for i, (lon, lat) in enumerate(inside_points(n)):
        onset = f"{1 + i % 28:02d}/01/2569"
        rows.append([f"C{i + 1:04d}", onset, f"{1 + i % 28:02d}/02/2569", "DHF", "หญิง", lat, lon])
        if bad_row == i + 1:
            rows[-1][1] = bad_value
    return csv_text(header, rows)


# Hostile files


def zip_bomb(path: Path, *, megabytes: int = 20) -> Path:
    """One entry of zeros: ~1000:1 compression."""
    chunk = b"\x00" * (1024 * 1024)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("roads.geojson", "w") as entry,
    ):
        for _ in range(megabytes):
            entry.write(chunk)
    return path


def zip_with_symlink(path: Path) -> Path:
    info = zipfile.ZipInfo("roads.geojson")
    info.create_system = 3  # Unix
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(info, "/etc/passwd")
    return path


def zip_slip(path: Path, name: str = "../../evil.geojson") -> Path:
    """An archive whose entry would land outside the directory it is unpacked into."""
    info = zipfile.ZipInfo("placeholder")
    info.filename = name  # set after construction: ZipInfo() would clean an absolute path
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(info, '{"type": "FeatureCollection", "features": []}')
    return path


def vrt_text(target: str = "/etc/passwd") -> str:
    """An OGR VRT that reads a local file as a CSV layer."""
    return (
        "<OGRVRTDataSource><OGRVRTLayer name='secrets'>"
        f"<SrcDataSource>CSV:{target}</SrcDataSource>"
        "<GeometryType>wkbPoint</GeometryType>"
        "<GeometryField encoding='PointFromColumns' x='field_1' y='field_2'/>"
        "</OGRVRTLayer></OGRVRTDataSource>"
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE kml [\n <!ENTITY lol "lol">\n'
    + "\n".join(
        f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + '\n]>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&lol9;'
    "</name><Point><coordinates>99.955,8.43</coordinates></Point></Placemark></Document></kml>\n"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&xxe;</name>'
    "<Point><coordinates>99.955,8.43</coordinates></Point></Placemark></Document></kml>\n"
)


def geojson_points(coordinates: Sequence[str], *, extra: str = "") -> str:
    """A GeoJSON FeatureCollection of points given as literal 'x, y' text (may be NaN/1e308)."""
    features = ",".join(
        f'{{"type": "Feature", "properties": {{"id": "p{i + 1}", "name": "จุด {i + 1}"{extra}}}, '
        f'"geometry": {{"type": "Point", "coordinates": [{xy}]}}}}'
        for i, xy in enumerate(coordinates)
    )
    return f'{{"type": "FeatureCollection", "features": [{features}]}}'


def million_vertex_polygon_gpkg(path: Path, *, vertices: int = 1_000_000) -> Path:
    """One building polygon of `vertices` + 1 coordinates (a closed circle inside the town)."""
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    cx, cy = (INSIDE[0] + INSIDE[2]) / 2, (INSIDE[1] + INSIDE[3]) / 2
    ring = np.column_stack([cx + 0.001 * np.cos(angles), cy + 0.001 * np.sin(angles)])
    polygon = shapely.Polygon(ring)
    frame = gpd.GeoDataFrame({"id": ["huge"]}, geometry=[polygon], crs="EPSG:4326")
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    return path


# Running imports and looking at the database


def cli(*args: object) -> tuple[int, str]:
    """Run `import_layer` as the command line would: (exit code, everything it printed)."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    try:
        call_command("import_layer", *[str(a) for a in args], stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


LAYER_TABLES = (
    "layers_dataset",
    "layers_road",
    "layers_landmark",
    "layers_building",
    "layers_floodzone",
    "layers_denguecase",
)


def database_state() -> dict[str, tuple[int, str]]:
    """Row count and md5 of every row's text, per layer table (what a failed import must keep)."""
    from django.db import connection

    state = {}
    with connection.cursor() as cursor:
        for table in LAYER_TABLES:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) "
                f"FROM {table} t"
            )
            state[table] = cursor.fetchone()
    return state
