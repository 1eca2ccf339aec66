"""Export a dataset as GeoJSON, GeoPackage, CSV or zipped Shapefile, licence included.

Every file says under which licence the data may be reused and whom to credit:

- GeoJSON: top-level members `license`, `attribution`, `source` and `title` (EPSG:4326).
- GeoPackage: the layer description (`gpkg_contents.description`) holds licence and attribution,
  and the GeoPackage metadata (`gpkg_metadata`) holds LICENSE, ATTRIBUTION, SOURCE and TITLE.
- CSV: a zip holding the CSV (UTF-8 with a byte order mark, so Excel shows Thai; a `wkt` column,
  plus `lon` and `lat` for point layers) and `LICENSE.txt` and `README.txt`.
- Shapefile: a zip holding .shp/.shx/.dbf, `.prj` (EPSG:4326), `.cpg` (UTF-8), `LICENSE.txt` and
  `README.txt`; the README lists the field names as cut to the 10 characters dBase allows.

Files are written into a directory the caller provides (a temporary one) and never hold
personal fields: the columns come from `layers.catalogue.selectors`, which has none.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from layers.catalogue.selectors import dataset_columns, dataset_frame
from layers.csv_safe import SafeWriter
from layers.models import Dataset

SHAPEFILE_FIELD_CHARS = 10
LICENCE_UNSTATED = "No licence stated: ask the municipality before reusing."


class ExportFormat(StrEnum):
    GEOJSON = "geojson"
    GPKG = "gpkg"
    CSV = "csv"
    SHP = "shp"


@dataclass(frozen=True)
class ExportFile:
    """A written export: where it is, the name to download it as, and its media type."""

    path: Path
    filename: str
    content_type: str


def export_basename(dataset: Dataset) -> str:
    """`<municipality code>-<dataset slug>`, the stem of every export's filename."""
    return f"{dataset.municipality.code}-{dataset.slug}"


def dataset_export(*, dataset: Dataset, fmt: str, directory: Path) -> ExportFile:
    """Write the dataset in the format into `directory` and describe the file.

    Parameters
    ----------
    dataset
        A dataset the caller has already been allowed to read (in its tenant scope).
    fmt
        One of `ExportFormat`.
    directory
        An empty, private directory (the caller deletes it).

    Returns
    -------
    ExportFile
    """
    fmt = ExportFormat(fmt)
    frame = dataset_frame(dataset=dataset).drop(columns=["id"])
    columns = [c for c in dataset_columns(dataset=dataset) if c in frame.columns]
    columns += [c for c in frame.columns if c not in columns and c != frame.geometry.name]
    frame = frame[[*columns, frame.geometry.name]]
    base = export_basename(dataset)
    writer = {
        ExportFormat.GEOJSON: _geojson,
        ExportFormat.GPKG: _gpkg,
        ExportFormat.CSV: _csv_zip,
        ExportFormat.SHP: _shapefile_zip,
    }[fmt]
    return writer(dataset, frame, Path(directory), base)


def licence_text(dataset: Dataset) -> str:
    """The LICENSE.txt of an archive: licence, attribution and source of the dataset."""
    lines = [
        dataset.title,
        "",
        f"Licence: {dataset.licence or LICENCE_UNSTATED}",
        f"Attribution: {dataset.attribution or dataset.municipality.name_th}",
    ]
    if dataset.source:
        lines.append(f"Source: {dataset.source}")
    if dataset.is_generated:
        lines.append("Generated (synthetic) data: not real observations.")
    return "\n".join(lines) + "\n"


def _readme_text(dataset: Dataset, frame: gpd.GeoDataFrame, extra: list[str]) -> str:
    lines = [
        f"{dataset.title} ({dataset.municipality.name_th})",
        "",
        dataset.description,
        "",
        f"Features: {len(frame)}",
        "Coordinates: EPSG:4326 (WGS 84, longitude/latitude)",
        "Text encoding: UTF-8",
        f"Division: {dataset.division}",
        f"Updated: {dataset.updated_at:%Y-%m-%d}",
        "Licence and attribution: see LICENSE.txt",
        *extra,
    ]
    return "\n".join(lines) + "\n"


def _geojson(dataset: Dataset, frame: gpd.GeoDataFrame, directory: Path, base: str):
    path = directory / f"{base}.geojson"
    columns = [c for c in frame.columns if c != frame.geometry.name]
    with open(path, "w", encoding="utf-8") as handle:
        head = {
            "type": "FeatureCollection",
            "name": base,
            "title": dataset.title,
            "license": dataset.licence or LICENCE_UNSTATED,
            "attribution": dataset.attribution or dataset.municipality.name_th,
            "source": dataset.source,
        }
        # Written feature by feature: a large layer never sits in memory as one JSON string.
        handle.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n')
        for n, (values, geometry) in enumerate(
            zip(frame[columns].itertuples(index=False), frame.geometry, strict=True)
        ):
            feature = {
                "type": "Feature",
                "properties": dict(zip(columns, values, strict=True)),
                "geometry": None if geometry is None else json.loads(shapely.to_geojson(geometry)),
            }
            handle.write(("" if n == 0 else ",\n") + json.dumps(feature, ensure_ascii=False))
        handle.write("\n]}\n")
    return ExportFile(path, path.name, "application/geo+json")


def _gpkg(dataset: Dataset, frame: gpd.GeoDataFrame, directory: Path, base: str):
    path = directory / f"{base}.gpkg"
    licence = dataset.licence or LICENCE_UNSTATED
    attribution = dataset.attribution or dataset.municipality.name_th
    pyogrio.write_dataframe(
        frame,
        path,
        layer=dataset.slug,
        driver="GPKG",
        promote_to_multi=_mixed(frame),
        layer_options={
            "IDENTIFIER": dataset.title,
            "DESCRIPTION": f"Licence: {licence}. Attribution: {attribution}.",
        },
        dataset_metadata={
            "TITLE": dataset.title,
            "LICENSE": licence,
            "ATTRIBUTION": attribution,
            "SOURCE": dataset.source,
        },
    )
    return ExportFile(path, path.name, "application/geopackage+sqlite3")


def _csv_zip(dataset: Dataset, frame: gpd.GeoDataFrame, directory: Path, base: str):
    csv_path = directory / f"{base}.csv"
    columns = [c for c in frame.columns if c != frame.geometry.name]
    points = len(frame) > 0 and bool((frame.geometry.geom_type == "Point").all())
    header = [*columns, "wkt", *(["lon", "lat"] if points else [])]
    # utf-8-sig writes the byte order mark Excel needs to read Thai as UTF-8.
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as handle:
        # Text cells that start like a formula are escaped; numbers stay numbers.
        writer = SafeWriter(handle)
        writer.writerow(header)
        for values, geometry in zip(
            frame[columns].itertuples(index=False), frame.geometry, strict=True
        ):
            row = ["" if v is None else v for v in values]
            row.append("" if geometry is None else shapely.to_wkt(geometry, rounding_precision=7))
            if points:
                row += [round(geometry.x, 7), round(geometry.y, 7)]
            writer.writerow(row)
    extra = [
        "Geometry: the wkt column (EPSG:4326)" + ("; lon and lat for points" if points else "")
    ]
    return _zip(dataset, frame, directory, base, [csv_path], extra, suffix="csv.zip")


def shapefile_field_names(columns: list[str]) -> dict[str, str]:
    """Column -> a unique field name of at most 10 characters (dBase's limit)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        name = column[:SHAPEFILE_FIELD_CHARS]
        n = 1
        while name.lower() in taken:
            tail = f"_{n}"
            name = column[: SHAPEFILE_FIELD_CHARS - len(tail)] + tail
            n += 1
        taken.add(name.lower())
        names[column] = name
    return names


def _shapefile_zip(dataset: Dataset, frame: gpd.GeoDataFrame, directory: Path, base: str):
    columns = [c for c in frame.columns if c != frame.geometry.name]
    names = shapefile_field_names(columns)
    shp = directory / f"{base}.shp"
    pyogrio.write_dataframe(
        frame.rename(columns=names),
        shp,
        driver="ESRI Shapefile",
        encoding="UTF-8",  # also writes the .cpg
        promote_to_multi=_mixed(frame),
    )
    parts = [shp.with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj", ".cpg")]
    renamed = [f"  {names[c]} = {c}" for c in columns if names[c] != c]
    extra = ["Shapefile fields are cut to 10 characters; text to 254 bytes."]
    if renamed:
        extra += ["Fields renamed (shapefile = full name):", *renamed]
    return _zip(dataset, frame, directory, base, [p for p in parts if p.exists()], extra, "shp.zip")


def _mixed(frame: gpd.GeoDataFrame) -> bool:
    kinds = {t.removeprefix("Multi") for t in frame.geometry.geom_type.dropna().unique()}
    return len(set(frame.geometry.geom_type.dropna().unique())) > 1 and len(kinds) == 1


def _zip(dataset, frame, directory: Path, base: str, files: list[Path], extra, suffix: str):
    path = directory / f"{base}.{suffix}"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, arcname=file.name)
        archive.writestr("LICENSE.txt", licence_text(dataset))
        archive.writestr("README.txt", _readme_text(dataset, frame, extra))
    return ExportFile(path, path.name, "application/zip")
