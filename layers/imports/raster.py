"""GeoTIFF imports: a raster dataset, converted to a cloud-optimised GeoTIFF (COG).

`import_layer CODE dataset FILE.tif [--crs EPSG:XXXX] [--dry-run]` comes here (through the hook
in `layers.imports.service.layer_import`). The flow:

1. The file (or the one `.tif` of a zip, unpacked by `layers.imports.archives`) is copied into
   a private temporary directory, so GDAL sees no sidecar file (`.aux.xml`, `.ovr`, `.tfw`)
   the user did not send, and directory listing is off.
2. Its first bytes must be a TIFF header, and GDAL must open it with the GTiff driver and no
   other: a `.vrt` (which can read `/etc/passwd`), or any file renamed to `.tif`, is refused.
3. What the header declares (width x height x bands) is checked against `ImportLimits` before
   a pixel is read; the raster must be georeferenced, north-up, with a CRS (from the file, or
   `--crs`) and touch the municipality (unless `--confirm-outside`).
4. It is converted with GDAL's COG driver (tiled 512 x 512, DEFLATE with a predictor,
   overviews) keeping the values, nodata, CRS, band units, scale and offset; the result is
   checked (LAYOUT=COG) and stored as MEDIA_ROOT/datasets/<code>/<slug>.tif, swapped in when
   the transaction commits. The catalogue entry (`Dataset`, kind raster) carries the metadata
   in `raster_metadata`. A dry run does everything but store.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
import shapely
from django.db import DatabaseError, transaction
from rasterio.errors import RasterioError
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from analysis.gdal_guard import RASTER_DRIVER
from layers.imports.archives import archive_unpack
from layers.imports.crs import CrsChoice, crs_choose, crs_describe, crs_suggestions
from layers.imports.limits import ImportLimits
from layers.imports.messages import ImportRefused, Issue, Severity, quoted, refuse
from layers.imports.report import ImportReport
from layers.imports.sources import file_checksum
from layers.models import Dataset, Municipality
from layers.tenancy import tenant_scope

RASTER_SUFFIXES = frozenset({".tif", ".tiff"})
# Data files of the vector formats: a zip holding one of these is imported as vector data.
VECTOR_DATA_SUFFIXES = frozenset({".shp", ".dbf", ".geojson", ".json", ".gpkg", ".kml", ".csv"})
TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
ALLOWED_RASTER_DRIVERS = ("GTiff",)
#: GDAL settings while a user's raster is open: no directory listing (no sidecar discovery),
#: no .aux.xml written beside it, no network.
GDAL_SAFE_ENV = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_PAM_ENABLED": "NO",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".none",
    "GDAL_HTTP_TIMEOUT": "1",
}
COG_OPTIONS = {
    "COMPRESS": "DEFLATE",
    "PREDICTOR": "YES",
    "BLOCKSIZE": "512",
    "OVERVIEWS": "AUTO",
    "OVERVIEW_RESAMPLING": "NEAREST",
    "BIGTIFF": "IF_SAFER",
}
STATS_WINDOW_ROWS = 1024
#: Bump when `raster_metadata` changes shape, so stored entries are refreshed on re-import.
METADATA_VERSION = 1
ROLE_WORDS = {
    "depth": ("depth", "ความลึก", "ลึก", "flood_depth", "water_depth"),
    "dem": ("dem", "dtm", "dsm", "elevation", "height", "ground", "ความสูง", "ระดับพื้น", "terrain"),
}


def raster_dataset_path(*, municipality_code: str, slug: str) -> Path:
    """Where a raster dataset's COG lives: MEDIA_ROOT/datasets/<code>/<slug>.tif."""
    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / "datasets" / municipality_code / f"{slug}.tif"


def is_raster_file(path: Path | str) -> bool:
    """A `.tif`, or a zip whose data file is one: the raster import handles it."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in RASTER_SUFFIXES:
        return True
    if suffix != ".zip" or not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = [info.filename.lower() for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    # Hidden entries (__MACOSX/._x.tif) are skipped by the unpacker, so they decide nothing; a
    # zip that holds vector data too (a shapefile with a scanned map beside it) is vector data.
    visible = [n for n in names if not any(part.startswith(".") for part in Path(n).parts)]
    suffixes = {Path(name).suffix for name in visible}
    return bool(suffixes & RASTER_SUFFIXES) and not suffixes & VECTOR_DATA_SUFFIXES


@dataclass(frozen=True)
class RasterPlan:
    """What was read from the header and decided before conversion."""

    name: str
    path: Path  # the private copy GDAL reads
    checksum: str
    crs: CrsChoice
    metadata: dict[str, object]
    outside: bool


def _checksum(path: Path) -> str:
    return file_checksum(path)


@contextmanager
def _private_copy(
    path: Path, *, name: str, layer: str | None, limits: ImportLimits
) -> Iterator[Path]:
    """The GeoTIFF alone in a private temporary directory (unpacked first from a zip)."""
    with tempfile.TemporaryDirectory(prefix="mueang-raster-") as directory:
        folder = Path(directory)
        if path.suffix.lower() == ".zip":
            unpacked = archive_unpack(
                path, folder / "unpacked", limits=limits, suffixes=RASTER_SUFFIXES
            )
            candidates = sorted(p for p in unpacked.files if p.suffix.lower() in RASTER_SUFFIXES)
            if layer:
                candidates = [
                    p
                    for p in candidates
                    if layer.casefold() in (p.name.casefold(), p.stem.casefold())
                ]
            if not candidates:
                raise refuse("archive_no_raster", file=name)
            if len(candidates) > 1:
                raise refuse(
                    "archive_many_data",
                    file=name,
                    names=", ".join(quoted(p.name) for p in candidates),
                )
            source = candidates[0]
        else:
            source = path
        copy = folder / "raster" / "source.tif"
        copy.parent.mkdir()
        shutil.copyfile(source, copy)
        yield copy


def _sniff(path: Path, *, name: str, shown: str) -> None:
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head not in TIFF_MAGIC:
        raise refuse(
            "content_mismatch",
            file=name,
            name=quoted(shown),
            format="GeoTIFF",
            reason="no TIFF header",
        )


def _declared_limits(src, *, name: str, limits: ImportLimits) -> None:
    width, height, bands = src.width, src.height, src.count
    if width <= 0 or height <= 0 or bands <= 0:
        raise refuse("raster_empty", file=name, width=width, height=height, bands=bands)
    if max(width, height) > limits.max_raster_side:
        raise refuse(
            "raster_too_wide", file=name, width=width, height=height, limit=limits.max_raster_side
        )
    if bands > limits.max_raster_bands:
        raise refuse("raster_too_many_bands", file=name, bands=bands, limit=limits.max_raster_bands)
    cells = width * height * bands
    itemsize = max(np.dtype(dtype).itemsize for dtype in src.dtypes)
    if cells > limits.max_raster_cells or cells * itemsize > limits.max_uncompressed_bytes:
        raise refuse(
            "raster_too_large",
            file=name,
            width=width,
            height=height,
            bands=bands,
            cells=cells,
            limit=min(limits.max_raster_cells, limits.max_uncompressed_bytes // itemsize),
        )


def _georeferencing(src, *, name: str) -> None:
    transform = src.transform
    if transform.b != 0 or transform.d != 0:
        raise refuse("raster_rotated", file=name)
    if transform.is_identity or transform.a == 0 or transform.e == 0:
        raise refuse("raster_not_georeferenced", file=name)


def _number(value: float | None) -> float | int | None:
    """JSON-safe: NaN and infinities become None, whole floats stay floats."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _nodata_json(value: float | None) -> float | str | None:
    if value is None:
        return None
    if math.isnan(value):
        return "nan"
    return float(value)


def _band_statistics(src) -> list[tuple[float | None, float | None, int]]:
    """Exact (min, max, valid cells) per band, read in row bands (nodata and NaN left out)."""
    stats = []
    for band in range(1, src.count + 1):
        low, high, valid = math.inf, -math.inf, 0
        for start in range(0, src.height, STATS_WINDOW_ROWS):
            window = Window(0, start, src.width, min(STATS_WINDOW_ROWS, src.height - start))
            data = src.read(band, window=window, masked=True)
            values = data.compressed()
            if values.dtype.kind == "f":
                values = values[np.isfinite(values)]
            if values.size:
                low = min(low, float(values.min()))
                high = max(high, float(values.max()))
                valid += int(values.size)
        stats.append((low if valid else None, high if valid else None, valid))
    return stats


def _role(name: str, descriptions: list[str]) -> str:
    """'depth', 'dem' or '' guessed from the file name, then the band descriptions."""
    for text in (Path(name).stem, *descriptions):
        words = set(re.split(r"[^0-9a-zA-Z\u0e00-\u0e7f]+", text.casefold()))
        for role in ("depth", "dem"):
            if any(
                word in words or (not word.isascii() and word in text) for word in ROLE_WORDS[role]
            ):
                return role
    return ""


def _resolution_text(metadata: dict[str, object]) -> str:
    x, y = metadata["resolution"]
    unit = "°" if metadata.get("geographic") else " m"
    return f"{x:g}{unit}" if x == y else f"{x:g} x {y:g}{unit}"


def _metadata(src, crs: CrsChoice, *, name: str) -> dict[str, object]:
    stats = _band_statistics(src)
    descriptions = [d or "" for d in src.descriptions]
    units = [u or "" for u in src.units]
    bounds = tuple(src.bounds)
    wgs84 = transform_bounds(crs.crs, "EPSG:4326", *bounds, densify_pts=21)
    return {
        "version": METADATA_VERSION,
        "crs": f"EPSG:{crs.crs.to_epsg()}" if crs.crs.to_epsg() else crs.crs.name,
        "crs_name": crs.crs.name,
        "crs_wkt": crs.crs.to_wkt(),
        "geographic": bool(crs.crs.is_geographic),
        "bounds": [float(v) for v in bounds],
        "bounds_wgs84": [round(float(v), 7) for v in wgs84],
        "width": src.width,
        "height": src.height,
        "resolution": [abs(float(src.transform.a)), abs(float(src.transform.e))],
        "dtype": src.dtypes[0],
        "nodata": _nodata_json(src.nodata),
        "band_count": src.count,
        "bands": [
            {
                "band": index + 1,
                "description": descriptions[index],
                "units": units[index],
                "scale": float(src.scales[index]),
                "offset": float(src.offsets[index]),
                "min": _number(stats[index][0]),
                "max": _number(stats[index][1]),
                "valid_cells": stats[index][2],
            }
            for index in range(src.count)
        ],
        "role": _role(name, descriptions),
    }


def _crs_for(src, *, given: str | None, name: str, metric_srid: int) -> CrsChoice:
    file_crs = src.crs.to_wkt() if src.crs else None
    choice = crs_choose(file_crs=file_crs, given=given, file=name)
    if choice is None:
        options = crs_suggestions(bounds=tuple(src.bounds), metric_srid=metric_srid)
        raise refuse(
            "crs_missing", file=name, suggestions=" / ".join(crs_describe(c) for c in options)
        )
    return choice


def _open_checked(path: Path, *, name: str):
    try:
        src = rasterio.open(path, driver=ALLOWED_RASTER_DRIVERS[0])
    except RasterioError as error:
        raise refuse("unreadable", file=name, detail=quoted(error)) from None
    if src.driver not in ALLOWED_RASTER_DRIVERS:
        src.close()
        raise refuse("driver_not_allowed", file=name, name=quoted(name), driver=src.driver)
    return src


def _plan(
    copy: Path,
    *,
    name: str,
    municipality: Municipality,
    crs: str | None,
    limits: ImportLimits,
    checksum: str,
) -> RasterPlan:
    _sniff(copy, name=name, shown=Path(name).name)
    src = _open_checked(copy, name=name)
    with src:
        _declared_limits(src, name=name, limits=limits)
        _georeferencing(src, name=name)
        choice = _crs_for(src, given=crs, name=name, metric_srid=municipality.metric_srid)
        try:
            metadata = _metadata(src, choice, name=name)
        except RasterioError as error:
            raise refuse("unreadable", file=name, detail=quoted(error)) from None
    boundary = shapely.from_wkb(bytes(municipality.boundary.wkb))
    outside = not shapely.box(*metadata["bounds_wgs84"]).intersects(boundary)
    return RasterPlan(
        name=name, path=copy, checksum=checksum, crs=choice, metadata=metadata, outside=outside
    )


def cog_write(source: Path, target: Path, *, crs: CrsChoice | None = None) -> dict[str, object]:
    """Convert `source` to a COG at `target` (with `crs` assigned when given); what it holds.

    Returns the COG's overview factors and byte size, after checking that GDAL reports it as
    LAYOUT=COG.
    """
    if crs is not None and crs.origin == "--crs":
        with rasterio.open(source, "r+", driver=RASTER_DRIVER) as src:
            src.crs = crs.crs
    rasterio.shutil.copy(source, target, driver="COG", **COG_OPTIONS)
    with rasterio.open(target, driver=RASTER_DRIVER) as cog:
        layout = cog.tags(ns="IMAGE_STRUCTURE").get("LAYOUT")
        if layout != "COG":
            raise RasterioError(f"GDAL wrote LAYOUT={layout}, not COG")
        overviews = cog.overviews(1)
    return {"overviews": overviews, "file_bytes": target.stat().st_size}


def _dataset_for(
    *,
    municipality: Municipality,
    slug: str,
    title: str,
    name: str,
    user: object | None,
    create: bool,
) -> tuple[Dataset | None, bool]:
    dataset = Dataset.objects.filter(municipality=municipality, slug=slug).first()
    if dataset is not None:
        if dataset.kind != Dataset.Kind.RASTER:
            raise refuse(
                "dataset_kind_mismatch",
                file=name,
                slug=quoted(slug),
                existing=dataset.kind,
                kind=Dataset.Kind.RASTER,
            )
        return dataset, False
    if not create:
        return None, True
    dataset = Dataset.objects.create(
        municipality=municipality,
        slug=slug,
        title=title[:200],
        kind=Dataset.Kind.RASTER,
        source=name,
        visibility=Dataset.Visibility.INTERNAL,
        created_by=user,
        updated_by=user,
    )
    return dataset, True


def raster_import(
    *,
    municipality: Municipality,
    path: Path | str,
    slug: str,
    title: str,
    layer: str | None = None,
    crs: str | None = None,
    dry_run: bool = False,
    confirm_outside: bool = False,
    user: object | None = None,
    limits: ImportLimits | None = None,
    display_name: str | None = None,
    dataset_defaults: dict[str, object] | None = None,
) -> ImportReport:
    """Import a GeoTIFF (or a zip holding one) as the raster dataset `slug` of the municipality.

    Parameters
    ----------
    municipality, path, slug, title
        Where to, from which file, and the catalogue entry (created if new).
    layer
        In a zip with several GeoTIFFs, the one to take.
    crs
        Overrides (or supplies) the file's CRS (`--crs`).
    dry_run
        Check and convert, store nothing; the report says what would be stored.
    confirm_outside
        Import a raster that does not touch the municipality.
    dataset_defaults
        Catalogue fields of a new entry (title, description, licence, visibility, ...).

    Returns
    -------
    ImportReport
        With `features` 1 (one raster), `created` or `updated` 1; raises `ImportRefused`
        for anything unsafe, unreadable or out of limits, naming the file and the reason.
    """
    limits = limits or ImportLimits.from_settings()
    path = Path(path)
    name = display_name or path.name
    if str(path).startswith("/vsi") or not path.exists():
        raise refuse("file_not_found", file=name)
    if not path.is_file():
        raise refuse("not_a_file", file=name)
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise refuse("file_too_large", file=name, size=size, limit=limits.max_file_bytes)
    report = ImportReport(
        file=name,
        kind="dataset",
        municipality=municipality.code,
        dataset=slug,
        dataset_title=title,
        format="GeoTIFF",
        driver="GTiff",
        layer=layer or "",
        dry_run=dry_run,
        max_issues=limits.max_issues_listed,
    )
    with (
        rasterio.Env(**GDAL_SAFE_ENV),
        _private_copy(path, name=name, layer=layer, limits=limits) as copy,
    ):
        plan = _plan(
            copy,
            name=name,
            municipality=municipality,
            crs=crs,
            limits=limits,
            checksum=_checksum(path),
        )
        metadata = dict(plan.metadata)
        report.crs = f"{plan.crs.label} ({plan.crs.origin})"
        report.transformation = "none (the raster keeps its own coordinate system)"
        report.features = 1
        if plan.crs.file_crs is not None and not plan.crs.file_crs.equals(plan.crs.crs):
            report.add(
                Issue(
                    "crs_overridden",
                    Severity.INFO,
                    file=name,
                    params={"file_crs": plan.crs.file_crs.name, "crs": plan.crs.label},
                )
            )
        if plan.outside:
            bounds = ", ".join(f"{v:.5f}" for v in metadata["bounds_wgs84"])
            if confirm_outside:
                report.outside = 1
                report.add(Issue("raster_outside_confirmed", Severity.WARNING, file=name))
            else:
                report.outside = 1
                report.add(Issue("raster_outside", file=name, params={"bounds": bounds}))
        for band in metadata["bands"]:
            if not band["valid_cells"]:
                report.add(
                    Issue(
                        "raster_all_nodata",
                        Severity.WARNING,
                        file=name,
                        params={"band": band["band"]},
                    )
                )
        target = raster_dataset_path(municipality_code=municipality.code, slug=slug)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp.tif")
        try:
            try:
                cog = cog_write(copy, temporary, crs=plan.crs)
            except RasterioError as error:
                raise refuse("unreadable", file=name, detail=quoted(error)) from None
            metadata |= cog
            metadata["checksum"] = plan.checksum
            metadata["source_layer"] = layer or ""  # which .tif of a zip, if chosen
            report.add(
                Issue(
                    "raster_converted",
                    Severity.INFO,
                    file=name,
                    params={
                        "width": metadata["width"],
                        "height": metadata["height"],
                        "resolution": _resolution_text(metadata),
                        "dtype": metadata["dtype"],
                        "bands": metadata["band_count"],
                        "nodata": metadata["nodata"],
                        "overviews": len(cog["overviews"]),
                    },
                )
            )
            if not report.ok and not dry_run:
                raise ImportRefused(report.errors, report)
            replaced = _store(
                report,
                municipality=municipality,
                slug=slug,
                title=title,
                name=name,
                user=user,
                metadata=metadata,
                temporary=temporary,
                target=target,
                write=not dry_run and report.ok,
                dataset_defaults=dataset_defaults or {},
            )
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        if not replaced:
            temporary.unlink(missing_ok=True)
    report.written = not dry_run
    return report


def _store(
    report: ImportReport,
    *,
    municipality: Municipality,
    slug: str,
    title: str,
    name: str,
    user: object | None,
    metadata: dict[str, object],
    temporary: Path,
    target: Path,
    write: bool,
    dataset_defaults: dict[str, object],
) -> bool:
    """Register the dataset; the COG replaces the stored one when the transaction commits.

    Returns whether it will (False for a dry run, or the same file imported again).
    """
    try:
        with (
            tenant_scope(municipality_ids=[municipality.pk], user_id=getattr(user, "pk", None)),
            transaction.atomic(),
        ):
            dataset, created = _dataset_for(
                municipality=municipality,
                slug=slug,
                title=title,
                name=name,
                user=user,
                create=write,
            )
            report.dataset_created = created
            if created:
                report.created = 1
            elif (
                dataset is not None
                and dataset.source_checksum == metadata["checksum"]
                and (dataset.raster_metadata or {}).get("version") == METADATA_VERSION
                # The same file read another way (--crs, another .tif of the zip) is a change.
                and (dataset.raster_metadata or {}).get("crs_wkt") == metadata.get("crs_wkt")
                and (dataset.raster_metadata or {}).get("source_layer", "")
                == metadata.get("source_layer", "")
            ):
                report.unchanged = 1
            else:
                report.updated = 1
            if not write or (report.unchanged and target.is_file()):
                return False
            if created:
                for field, value in dataset_defaults.items():
                    setattr(dataset, field, value)
            dataset.raster_metadata = metadata
            dataset.source_checksum = metadata["checksum"]
            dataset.updated_by = user if user is not None else dataset.updated_by
            if not dataset.source:
                dataset.source = name
            dataset.save()
            transaction.on_commit(lambda: temporary.replace(target))
            return True
    except DatabaseError as error:
        temporary.unlink(missing_ok=True)
        detail = quoted(str(error).splitlines()[0] if str(error) else type(error).__name__)
        raise ImportRefused(
            [Issue("database_refused", file=name, params={"detail": detail})], report
        ) from None
