"""Opening an uploaded file safely: which format it is, and only then what GDAL makes of it.

GDAL picks a driver by content, not by name, and some drivers follow paths inside the file
(a VRT or a GDAL pipeline can read `/etc/passwd` and send its lines to a URL through
`ogr_geocode()`; a KML NetworkLink can fetch other files; a SQLite virtual table can open any
OGR source). So, in this order:

1. the kind of file is decided from its name and its first bytes (`_format_of`, `_sniff`), and
   a file that holds the signature of a reference-following format (a VRT, a pipeline, a web
   service description) is refused, before GDAL sees it;
2. GDAL is told the one driver of that kind where it accepts a `DRIVER:` prefix (GeoJSON,
   GeoPackage, CSV); for Shapefile and KML only the accepted drivers can claim the file, because
   the process holds no other (`analysis.gdal_guard`, which also cuts GDAL off the network);
3. the driver GDAL used is checked against the kind (`ALLOWED_DRIVERS`);
4. where the platform allows it, GDAL runs in a child process (forked, or a fresh interpreter
   under a threaded server) confined to the upload's folder with no network at all
   (`layers.imports.sandbox`).

Archives are checked and unpacked by `layers.imports.archives` into a private temporary
directory first.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import queue
import re
import shutil
import signal
import sqlite3
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow
import pyogrio
import pyogrio.errors
from django.utils import timezone
from pyogrio.raw import open_arrow
from pyogrio.raw import read as ogr_read

from analysis.gdal_guard import gdal_guard_require
from layers.imports import sandbox
from layers.imports.archives import DRIVER_FILE_SUFFIXES, archive_unpack
from layers.imports.encoding import (
    Encoding,
    dbf_field_names_repair,
    shapefile_encoding,
    text_file_encoding,
)
from layers.imports.limits import ImportLimits
from layers.imports.messages import ImportRefused, Issue, Severity, quoted, refuse

# format -> the GDAL drivers allowed to open it
ALLOWED_DRIVERS: dict[str, set[str]] = {
    "GeoJSON": {"GeoJSON"},
    "GeoPackage": {"GPKG"},
    "Shapefile": {"ESRI Shapefile"},
    "KML": {"KML", "LIBKML"},
    "CSV": {"CSV"},
}
# The driver GDAL is told to use, as a `DRIVER:` prefix of the path, where it accepts one.
PREFIXED_DRIVERS = {"GeoJSON": "GeoJSON", "GeoPackage": "GPKG", "CSV": "CSV"}
SUFFIX_FORMATS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".kml": "KML",
    ".csv": "CSV",
}
ARCHIVE_SUFFIXES = {".zip", ".kmz"}
SQLITE_MAGIC = b"SQLite format 3\x00"
SHAPEFILE_MAGIC = b"\x00\x00\x27\x0a"
SCAN_CHUNK = 1024 * 1024
T = TypeVar("T")
_END = object()
# Threads that may be running when an import forks: they use neither GDAL, PROJ nor GEOS, so
# no lock the child needs can be held by them at the fork (the job worker's heartbeat).
FORK_SAFE_THREADS = {"mueang-job-heartbeat"}
_XML_DANGER = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_NETWORK_LINK = re.compile(rb"<\s*(?:\w+:)?NetworkLink[\s>]", re.IGNORECASE)
# What formats that follow paths or URLs begin with: a VRT, a GDAL pipeline (GDALG), web service
# descriptions (WFS, WMS, WMTS, OGC API). None belongs in a data file; each is refused.
_DRIVER_SIGNATURE = re.compile(
    rb"<\s*(?:\w+:)?(?:OGRVRTDataSource|VRTDataset|OGRWFSDataSource|WFS_Capabilities"
    rb"|GDAL_WMS|WMS_Capabilities|WMT_MS_Capabilities|GDAL_WMTS|Capabilities|GDAL_WCS"
    rb"|WCS_Capabilities|OGRVDVDataSource)[\s>/]"
    rb"|gdal_streamed_alg|/vsi[a-z0-9_]+/",
    re.IGNORECASE,
)
# SQLite virtual table modules a GeoPackage may use (its spatial index).
ALLOWED_VIRTUAL_MODULES = {"rtree"}
READ_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.CRSError,
    pyarrow.ArrowException,
    RuntimeError,
    ValueError,
    OSError,
)


@dataclass
class Source:
    """An opened layer of an accepted file, ready to be read in batches."""

    name: str  # the file as the user named it, for messages
    path: Path  # the data file GDAL reads (inside the unpacked archive, if any)
    format: str
    driver: str
    layer: str
    layers: list[str]
    encoding: Encoding | None
    columns: list[str]
    crs: str | None  # as GDAL reports it: "EPSG:24047" or WKT; None when the file has none
    geometry_type: str | None
    feature_count: int
    bounds: tuple[float, float, float, float] | None
    fast_seek: bool
    checksum: str
    notes: list[Issue] = field(default_factory=list)
    # A GeoPackage table's integer primary key: batches are read by ranges of it (an offset
    # would make SQLite step over every earlier row again for each batch).
    fid_column: str | None = None
    # A reader of its own (an OSM extract's features, already selected and converted):
    # called as batches(columns, batch_size, read_geometry) instead of reading `path` with GDAL.
    batches: Callable[[Sequence[str], int, bool], Iterator[RawBatch]] | None = None

    @property
    def pyogrio_encoding(self) -> str | None:
        """The encoding to hand pyogrio (see `_pyogrio_encoding`)."""
        return _pyogrio_encoding(self.format, self.encoding)


def _pyogrio_encoding(fmt: str, encoding: Encoding | None) -> str | None:
    """None lets GDAL read UTF-8 itself; a shapefile always gets its codec (GDAL: Latin-1)."""
    if encoding is None or (encoding.codec == "utf-8" and fmt != "Shapefile"):
        return None
    return encoding.codec


@dataclass(frozen=True)
class RawBatch:
    """Consecutive features: `start` is the 0-based index of the first; WKB and column values."""

    start: int
    wkb: np.ndarray
    values: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.wkb)


def file_checksum(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(SCAN_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _head(path: Path, size: int = 64 * 1024) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def _scan(path: Path, pattern: re.Pattern[bytes]) -> bool:
    """Whether `pattern` occurs anywhere in the file (chunks overlap by 64 bytes)."""
    tail = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(SCAN_CHUNK):
            if pattern.search(tail + chunk):
                return True
            tail = chunk[-64:]
    return False


def _text_start(head: bytes) -> bytes:
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()


def _sniff(path: Path, fmt: str, *, name: str) -> None:
    """Refuse a file whose content is not the format its name claims, or that reaches outside."""
    head = _head(path)
    label = quoted(path.name)

    def mismatch(reason: str) -> ImportRefused:
        return refuse("content_mismatch", file=name, name=label, format=fmt, reason=reason)

    if fmt == "GeoJSON":
        if not _text_start(head).startswith(b"{"):
            raise mismatch("it does not start with '{'")
    elif fmt == "GeoPackage":
        if not head.startswith(SQLITE_MAGIC):
            raise mismatch("no SQLite header")
        _gpkg_check(path, name=name)
    elif fmt == "Shapefile":
        if not head.startswith(SHAPEFILE_MAGIC):
            raise mismatch("no shapefile header")
        for suffix in (".shx", ".dbf"):
            if not (
                path.with_suffix(suffix).is_file() or path.with_suffix(suffix.upper()).is_file()
            ):
                raise refuse("shapefile_incomplete", file=name, name=label, missing=suffix)
    elif fmt == "KML":
        if b"\x00" in head:
            raise mismatch("not UTF-8 text")
        if _scan(path, _XML_DANGER):
            raise refuse("xml_doctype", file=name)
        start = _text_start(head)
        if not start.startswith(b"<") or b"<kml" not in head.lower():
            raise mismatch("no <kml> element")
        if _scan(path, _NETWORK_LINK):
            raise refuse("kml_network_link", file=name)
    elif fmt == "CSV":
        start = _text_start(head)
        if b"\x00" in head or start.startswith((b"<", b"{", SQLITE_MAGIC)):
            raise mismatch("not plain comma-separated text")
    if fmt in ("GeoJSON", "KML", "CSV") and _scan(path, _DRIVER_SIGNATURE):
        raise refuse("driver_content_refused", file=name, name=label)


def _gpkg_check(path: Path, *, name: str) -> None:
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
        try:
            rows = connection.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE "
                "'CREATE VIRTUAL TABLE%'"
            ).fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise refuse("unreadable", file=name, detail=quoted(error)) from None
    for table, sql in rows:
        module = re.search(r"USING\s+([\w]+)", sql or "", re.IGNORECASE)
        if module is None or module.group(1).lower() not in ALLOWED_VIRTUAL_MODULES:
            raise refuse("gpkg_virtual_table", file=name, name=quoted(table))


def _format_of(path: Path, *, name: str) -> str:
    suffix = path.suffix.lower()
    if suffix in DRIVER_FILE_SUFFIXES or path.name.lower().endswith(".gdalg.json"):
        raise refuse("driver_file_refused", file=name, name=quoted(path.name))
    if suffix not in SUFFIX_FORMATS:
        raise refuse("unsupported_format", file=name, ext=quoted(suffix or path.name))
    return SUFFIX_FORMATS[suffix]


def _choose_data_file(
    files: list[Path], *, layer: str | None, name: str, kmz: bool
) -> tuple[Path, bool]:
    """The data file of an archive, and whether `--layer` was used up choosing it."""
    wanted = (".kml",) if kmz else tuple(SUFFIX_FORMATS)
    candidates = sorted(p for p in files if p.suffix.lower() in wanted)
    if kmz and candidates:
        # KMZ convention: doc.kml, else the first KML at the top level.
        top = [p for p in candidates if p.name.lower() == "doc.kml"] or candidates
        return top[0], False
    if not candidates:
        raise refuse("archive_no_data", file=name)
    if len(candidates) == 1:
        return candidates[0], False
    if layer:
        for candidate in candidates:
            if layer.casefold() in (candidate.name.casefold(), candidate.stem.casefold()):
                return candidate, True
    raise refuse(
        "archive_many_data",
        file=name,
        names=", ".join(quoted(p.name) for p in candidates),
        choices=[p.name for p in candidates],  # for the wizard's layer chooser
    )


def _encoding_for(path: Path, fmt: str, *, given: str | None) -> Encoding | None:
    if fmt == "Shapefile":
        return shapefile_encoding(path, given=given)
    if fmt in ("CSV", "GeoJSON"):
        return text_file_encoding(path, given=given)
    return Encoding(given, "--encoding") if given else None


def gdal_path(path: Path, fmt: str) -> str:
    """The path as GDAL is given it: with the kind's driver as a prefix where GDAL takes one."""
    driver = PREFIXED_DRIVERS.get(fmt)
    return f"{driver}:{path}" if driver else str(path)


def _layer_choose(path: str, *, layer: str | None, name: str, fmt: str) -> tuple[str, list[str]]:
    listed = pyogrio.list_layers(path)
    names = [str(row[0]) for row in listed]
    if not names:
        raise refuse("no_layers", file=name)
    if layer:
        if layer in names:
            return layer, names
        raise refuse(
            "layer_not_found",
            file=name,
            layer=quoted(layer),
            names=", ".join(quoted(n) for n in names),
        )
    spatial = [str(row[0]) for row in listed if row[1] is not None] or names
    if len(spatial) > 1 and fmt == "KML":
        spatial = [n for n in spatial if pyogrio.read_info(path, layer=n)["features"] != 0]
    if len(spatial) == 1:
        return spatial[0], names
    offered = spatial or names
    raise refuse(
        "layer_ambiguous",
        file=name,
        names=", ".join(quoted(n) for n in offered),
        choices=offered,  # for the wizard's layer chooser
    )


def _open(
    path: Path, *, name: str, layer: str | None, encoding: str | None, checksum: str
) -> Source:
    fmt = _format_of(path, name=name)
    _sniff(path, fmt, name=name)
    chosen_encoding = _encoding_for(path, fmt, given=encoding)
    if fmt == "Shapefile" and chosen_encoding is not None:
        dbf = next(p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.is_file())
        dbf_field_names_repair(dbf, chosen_encoding.codec)
    pyogrio_encoding = _pyogrio_encoding(fmt, chosen_encoding)
    gdal_guard_require()
    layer_name, layers, info = sandbox.run_confined(
        _gdal_inspect,
        gdal_path(path, fmt),
        readable=[path.parent],
        fork_ok=fork_safe(),
        layer=layer,
        name=name,
        fmt=fmt,
        encoding=pyogrio_encoding,
        chosen_encoding=chosen_encoding,
    )
    if info["driver"] not in ALLOWED_DRIVERS[fmt]:
        raise refuse("driver_not_allowed", file=name, name=quoted(path.name), driver=info["driver"])
    notes = []
    if chosen_encoding is not None and chosen_encoding.origin not in ("ASCII",):
        notes.append(
            Issue(
                "encoding_detected",
                Severity.INFO,
                file=name,
                params={"encoding": chosen_encoding.codec, "origin": chosen_encoding.origin},
            )
        )
    bounds = info.get("total_bounds")
    return Source(
        name=name,
        path=path,
        format=fmt,
        driver=info["driver"],
        layer=layer_name,
        layers=layers,
        encoding=chosen_encoding,
        columns=[str(c) for c in info["fields"]],
        crs=info.get("crs"),
        geometry_type=info.get("geometry_type"),
        feature_count=int(info.get("features") or 0),
        bounds=tuple(float(b) for b in bounds) if bounds is not None else None,
        fast_seek=bool(info.get("capabilities", {}).get("fast_set_next_by_index")),
        checksum=checksum,
        notes=notes,
        fid_column=(info.get("fid_column") or None) if info["driver"] == "GPKG" else None,
    )


def _gdal_inspect(
    path: str,
    *,
    layer: str | None,
    name: str,
    fmt: str,
    encoding: str | None,
    chosen_encoding: Encoding | None,
) -> tuple[str, list[str], dict]:
    """The layer to read, every layer's name and GDAL's description of the chosen one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer_name, layers = _layer_choose(path, layer=layer, name=name, fmt=fmt)
            info = pyogrio.read_info(
                path, layer=layer_name, encoding=encoding, force_feature_count=True
            )
    except UnicodeDecodeError:
        raise _encoding_refusal(name, chosen_encoding) from None
    except READ_ERRORS as error:
        raise refuse("unreadable", file=name, detail=quoted(error)) from None
    keep = ("driver", "fields", "crs", "geometry_type", "features", "total_bounds", "fid_column")
    described = {key: info.get(key) for key in keep}
    described["capabilities"] = dict(info.get("capabilities") or {})
    return layer_name, layers, described


def _encoding_refusal(name: str, encoding: Encoding | None) -> ImportRefused:
    codec = encoding.codec if encoding else "utf-8"
    return refuse(
        "encoding_mismatch",
        file=name,
        encoding=codec,
        origin=encoding.origin if encoding else "UTF-8",
        suggestion="utf-8" if codec != "utf-8" else "cp874",
    )


@contextmanager
def source_open(
    path: Path | str,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    limits: ImportLimits,
    display_name: str | None = None,
) -> Iterator[Source]:
    """Open the file at `path` (unpacking an archive into a temporary directory) for reading.

    Raises `ImportRefused` for anything that is not an accepted, safe, readable file.
    """
    path = Path(path)
    name = display_name or path.name
    if str(path).startswith("/vsi") or not path.exists():
        raise refuse("file_not_found", file=name)
    if not path.is_file():
        raise refuse("not_a_file", file=name)
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise refuse("file_too_large", file=name, size=size, limit=limits.max_file_bytes)
    checksum = file_checksum(path)
    suffix = path.suffix.lower()
    if suffix not in ARCHIVE_SUFFIXES | {".shp"}:
        yield _open(path, name=name, layer=layer, encoding=encoding, checksum=checksum)
        return
    with tempfile.TemporaryDirectory(prefix="mueang-import-") as directory:
        if suffix == ".shp":
            # A private copy of the shapefile's parts: GDAL sees nothing else of the folder,
            # and cut column names can be repaired without touching the user's file.
            copy = _shapefile_copy(path, Path(directory))
            yield _open(copy, name=name, layer=layer, encoding=encoding, checksum=checksum)
            return
        unpacked = archive_unpack(path, Path(directory), limits=limits)
        data_file, used_layer = _choose_data_file(
            unpacked.files, layer=layer, name=name, kmz=suffix == ".kmz"
        )
        source = _open(
            data_file,
            name=name,
            layer=None if used_layer else layer,
            encoding=encoding,
            checksum=checksum,
        )
        yield source


def _shapefile_copy(shp: Path, directory: Path) -> Path:
    for part in shp.parent.iterdir():
        if part.stem == shp.stem and part.suffix.lower() in (
            ".shp",
            ".shx",
            ".dbf",
            ".prj",
            ".cpg",
        ):
            shutil.copyfile(part, directory / (part.stem + part.suffix.lower()))
    return directory / (shp.stem + ".shp")


def first_batch(
    source: Source, *, columns: Sequence[str], size: int, read_geometry: bool = True
) -> RawBatch | None:
    """The layer's first `size` features (the preview's sample), read by a confined reader."""
    if source.batches is not None:  # a reader of its own (OSM), not GDAL over an upload
        return _first_batch(source, columns=columns, size=size, read_geometry=read_geometry)
    return sandbox.run_confined(
        _first_batch,
        source,
        readable=[source.path.parent],
        fork_ok=fork_safe(),
        columns=list(columns),
        size=size,
        read_geometry=read_geometry,
    )


def _first_batch(
    source: Source, *, columns: Sequence[str], size: int, read_geometry: bool
) -> RawBatch | None:
    batches = source_batches(source, columns=columns, batch_size=size, read_geometry=read_geometry)
    return next(iter(batches), None)


def source_batches(
    source: Source, *, columns: Sequence[str], batch_size: int, read_geometry: bool = True
) -> Iterator[RawBatch]:
    """The layer's features in batches of `batch_size`, only the given columns."""
    if source.batches is not None:
        yield from source.batches(columns, batch_size, read_geometry)
        return
    wanted = set(columns)
    columns = [column for column in source.columns if column in wanted]  # pyogrio's order
    kwargs = {
        "layer": source.layer,
        "encoding": source.pyogrio_encoding,
        "columns": columns,
        "read_geometry": read_geometry,
    }

    gdal_guard_require()
    path = gdal_path(source.path, source.format)

    def read(**extra: object) -> tuple[np.ndarray, list[np.ndarray]]:
        with _read_errors_refused(source):
            _meta, _fids, wkb, values = ogr_read(path, **kwargs, **extra)
        if wkb is None:
            wkb = np.full(len(values[0]) if values else 0, None, dtype=object)
        return wkb, values

    def batch(start: int, wkb: np.ndarray, values: list[np.ndarray]) -> RawBatch:
        return RawBatch(start, wkb, dict(zip(columns, values, strict=True)))

    if source.fid_column:
        yield from _arrow_batches(
            source, columns=columns, batch_size=batch_size, read_geometry=read_geometry
        )
        return
    if source.fast_seek:
        start = 0
        while True:
            wkb, values = read(skip_features=start, max_features=batch_size)
            if not len(wkb):
                return
            yield batch(start, wkb, values)
            start += len(wkb)
            if len(wkb) < batch_size:
                return
    wkb, values = read()
    for start in range(0, len(wkb), batch_size):
        end = start + batch_size
        yield batch(start, wkb[start:end], [column[start:end] for column in values])


@contextmanager
def _read_errors_refused(source: Source) -> Iterator[None]:
    """GDAL's warnings silenced; its errors (and undecodable text) as `ImportRefused`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except UnicodeDecodeError:
        raise _encoding_refusal(source.name, source.encoding) from None
    except READ_ERRORS as error:
        raise refuse("unreadable", file=source.name, detail=quoted(error)) from None


def _arrow_batches(
    source: Source, *, columns: list[str], batch_size: int, read_geometry: bool
) -> Iterator[RawBatch]:
    """A GeoPackage table's features in key order, streamed through GDAL's Arrow interface.

    One pass over the table, a batch's columns built in C: about ten times faster than reading
    a feature at a time. Values come as `ogr_read` gives them (text, numbers with NaN for
    NULL), except that date-times stay text as written, with their UTC offset if any
    (`values.parse_datetime` reads both; a datetime64 would have lost the offset).
    """
    start = 0
    with ExitStack() as stack:
        with _read_errors_refused(source):
            meta, reader = stack.enter_context(
                open_arrow(
                    gdal_path(source.path, source.format),
                    layer=source.layer,
                    columns=columns,
                    read_geometry=read_geometry,
                    batch_size=batch_size,
                    datetime_as_string=True,
                    use_pyarrow=True,
                )
            )
        geometry = meta.get("geometry_name") if read_geometry else None
        while True:
            with _read_errors_refused(source):
                table = next(reader, None)
                if table is None:
                    return
                values = [table.column(name).to_numpy(zero_copy_only=False) for name in columns]
                wkb = (
                    table.column(geometry).to_numpy(zero_copy_only=False)
                    if geometry
                    else np.full(table.num_rows, None, dtype=object)
                )
            yield RawBatch(start, wkb, dict(zip(columns, values, strict=True)))
            start += table.num_rows


def read_ahead(
    items: Iterator[T], *, ahead: int = 1, on_wait: Callable[[], None] | None = None
) -> Iterator[T]:
    """The items of `items`, each computed in a worker thread while the caller uses the last.

    Reading and checking a batch (GDAL, shapely, numpy) then overlaps with writing the previous
    one (the database works while psycopg2 waits without the GIL). At most `ahead` + 1 items
    exist beyond the one in use: `ahead` waiting, one being computed. When the next item is not
    ready yet, `on_wait` runs before waiting for it (write what is collected, instead of
    idling). An exception of the worker is raised in the caller at the item it replaced; when
    the caller stops early (an error, a cancel), the worker ends after its current item. The
    worker uses the caller's time zone (dates without one are read in it).
    """
    if ahead < 1:
        raise ValueError(f"ahead must be at least 1, got {ahead}")
    ready: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()
    zone = timezone.get_current_timezone()

    def work() -> None:
        try:
            with timezone.override(zone):
                for item in items:
                    ready.put((item, None))
                    if stop.is_set():
                        return
            ready.put((_END, None))
        except BaseException as error:  # handed to the caller, raised there
            ready.put((_END, error))

    worker = threading.Thread(target=work, name="import-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            try:
                item, error = ready.get_nowait()
            except queue.Empty:
                if on_wait is not None:
                    on_wait()
                item, error = ready.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            with suppress(queue.Empty):
                ready.get(timeout=0.05)
        worker.join()


def fork_safe() -> bool:
    """Whether this process may fork a reader: POSIX, and no thread that could hold a lock.

    A forked child has only the forking thread. Any other thread could be inside GDAL, PROJ or
    GEOS, holding a lock the child would then wait for forever (a web server's request
    threads, a test's live server); only `FORK_SAFE_THREADS` are known not to.
    """
    if not hasattr(os, "fork"):
        return False
    current = threading.current_thread()
    return all(
        thread is current or thread.name in FORK_SAFE_THREADS for thread in threading.enumerate()
    )


def read_in_child(
    items: Iterator[T],
    *,
    ahead: int = 1,
    on_wait: Callable[[], None] | None = None,
    readable: Sequence[Path] | None = None,
) -> Iterator[T]:
    """The items of `items`, computed in a forked child process while the caller uses the last.

    Like `read_ahead`, but the work (GDAL, shapely, numpy) runs on another core and never holds
    this process's GIL: the caller only waits on what it does itself, such as the database. Items
    travel pickled through a pipe (keep them small), received `ahead` at a time by a thread.
    The child inherits everything, the database connection too: `items` must not touch it (the
    child ends with `os._exit`, so the connection is neither closed nor used there). An
    exception of the child is raised in the caller at the item it replaced; when the caller
    stops early, the child is killed. `on_wait` as in `read_ahead`. With `readable`, the child
    confines itself to reading those folders, with no network (`sandbox.confine`), before it
    starts on `items`. Where forking is not safe
    (`fork_safe`), `read_ahead` runs `items` in a thread instead.
    """
    if not fork_safe():
        yield from read_ahead(items, ahead=ahead, on_wait=on_wait)
        return
    receiver, sender = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: its work is checked through what it sends
        code = 1
        try:
            receiver.close()
            if readable is not None:
                sandbox.confine(readable)
            code = _child_produce(items, sender)
        finally:
            os._exit(code)
    sender.close()
    received = read_ahead(_child_items(receiver), ahead=ahead, on_wait=on_wait)
    try:
        # Not `yield from`: on an early stop, kill the child before closing `received`.
        for item in received:  # noqa: UP028
            yield item
    finally:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # harmless when it has already ended
        with suppress(ChildProcessError):  # reaped already (a SIGCHLD handler)
            os.waitpid(pid, 0)
        received.close()  # its thread now reads the end of the pipe and stops
        receiver.close()


def _child_produce(items: Iterator, sender: Connection) -> int:
    """Send ("item", item) for each item, then ("end", None) or ("error", exception)."""
    try:
        for item in items:
            sender.send_bytes(pickle.dumps(("item", item), protocol=pickle.HIGHEST_PROTOCOL))
        sender.send_bytes(pickle.dumps(("end", None)))
        return 0
    except BrokenPipeError:  # the caller stopped early
        return 1
    except BaseException as error:
        with suppress(OSError):
            sender.send_bytes(sandbox.answer_dumps(("error", error)))
        return 1


def _child_items(receiver: Connection) -> Iterator:
    while True:
        try:
            what, payload = sandbox.answer_loads(receiver.recv_bytes())
        except EOFError:
            raise RuntimeError("the import reader ended without a word (killed?)") from None
        if what == "error":
            raise payload
        if what == "end":
            return
        yield payload
