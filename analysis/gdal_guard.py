"""GDAL with only the drivers Mueang reads and writes, and no network.

GDAL chooses a driver by what a file holds, and several drivers follow what a file says: a VRT
or a GDAL pipeline (GDALG) reads other files and runs SQL, whose `ogr_geocode()` fetches URLs;
WFS, OAPIF, WMS and their kind are network clients; `/vsicurl/` paths fetch URLs. An uploaded
`.geojson` or `.csv` can be any of those. So every process that opens user files calls
`gdal_guard()` before it opens one (the `layers` app does at start-up for the web server, the job
worker and every management command; `python -m analysis` does too). It works on every copy of
GDAL loaded into the process (pyogrio's wheel, which GeoDjango shares, and rasterio's own):

- every driver but `KEPT_DRIVERS` (and VRT in rasterio's copy, for its own warping; user rasters
  are opened there with `driver=RASTER_DRIVER` only) is deregistered, and stays so: GDAL_SKIP is
  set in that copy,
  so a later `GDALAllRegister()` (rasterio calls it) skips them again;
- every HTTP request GDAL makes through `CPLHTTPFetch` (SQL functions such as `ogr_geocode`,
  network drivers) is answered by a callback that refuses it, before any connection is opened;
- `/vsicurl/` and the cloud file systems built on it accept one file name that cannot exist;
- PROJ's network access (grids from a CDN) is off.

`gdal_guard_status()` says, for each copy, whether all of that holds; tests check it, and the
import code refuses to open a user file when it does not (`gdal_guard_require`).
The guard is a process-wide setting by design: nothing in Mueang needs GDAL's network or its
reference-following drivers, so there is no "unguarded" mode to leak into. Written by hand with
ctypes because neither pyogrio nor rasterio exposes a driver allow-list or the HTTP callback
(see docs/decisions/0002-gdal-guard-and-reader-sandbox.md).
"""

from __future__ import annotations

import ctypes
import os
import threading
from dataclasses import dataclass
from pathlib import Path

# Drivers that stay: the accepted upload formats, what exports and the OSM import write or read,
# and the in-memory and GeoTIFF/COG drivers the raster code uses. None follows paths or URLs
# held in a file (KML's NetworkLink is refused by the importer's sniffing, and would meet the
# HTTP callback anyway).
KEPT_DRIVERS = frozenset(
    {
        "GeoJSON",
        "GPKG",
        "ESRI Shapefile",
        "KML",
        "LIBKML",
        "CSV",
        "OSM",
        "GTiff",
        "COG",
        "MEM",
        "Memory",
    }
)
# rasterio's own GDAL also keeps VRT: its warp helpers (`calculate_default_transform`,
# `reproject` of arrays) open VRT text they write themselves. A user's raster is never opened
# by guessing there: every `rasterio.open` of a file passes `driver=RASTER_DRIVER`, which GDAL
# takes as the only driver allowed to open it. No vector reader (pyogrio, GeoDjango) has VRT.
INTERNAL_DRIVERS = {"rasterio": frozenset({"VRT"})}
RASTER_DRIVER = "GTiff"
# A name /vsicurl/ may fetch: none real (GDAL then refuses every other URL without a request).
NO_URL = "/vsicurl/mueang-network-disabled.invalid"
REFUSAL = b"network access is disabled in Mueang (GDAL)"
# Environment for GDAL copies loaded after the guard, and for any child process.
ENVIRONMENT = {
    "PROJ_NETWORK": "OFF",
    "CPL_VSIL_CURL_ALLOWED_FILENAME": NO_URL,
    "GDAL_ALLOW_REMOTE_RESOURCE_TO_ACCESS_LOCAL_FILE": "NO",
    "GDAL_HTTP_MAX_RETRY": "0",
    "ALLOW_OGR_SQL_FUNCTIONS_FROM_TRIGGER_AND_VIEW": "NO",
}
_CALLBACK_TYPE = ctypes.CFUNCTYPE(
    ctypes.c_void_p,  # CPLHTTPResult *
    ctypes.c_char_p,  # URL
    ctypes.c_void_p,  # options
    ctypes.c_void_p,  # progress function
    ctypes.c_void_p,  # progress argument
    ctypes.c_void_p,  # write function
    ctypes.c_void_p,  # write argument
    ctypes.c_void_p,  # user data
)
# Bytes for a CPLHTTPResult, more than any GDAL 3.x defines: zeroed, then freed by GDAL as one
# block. nStatus is its first int, pszErrBuf the third word (after pszContentType).
_RESULT_BYTES = 256
_ERRBUF_OFFSET = 2 * ctypes.sizeof(ctypes.c_void_p)

_lock = threading.Lock()
_guarded: dict[str, _Copy] = {}
_verified = False  # gdal_guard_require found every copy safe (a fork inherits it)


@dataclass
class _Copy:
    path: str
    library: ctypes.CDLL
    callback: object  # the ctypes callback, kept alive as long as GDAL may call it
    skipped: tuple[str, ...]


@dataclass(frozen=True)
class GuardStatus:
    """One GDAL copy: where it is, the forbidden drivers it still has, whether it is safe."""

    path: str
    forbidden_registered: tuple[str, ...]
    http_refused: bool

    @property
    def ok(self) -> bool:
        """No forbidden driver, and HTTP refused."""
        return not self.forbidden_registered and self.http_refused


def _loaded_gdal_paths() -> list[str]:
    """Every libgdal mapped into this process (Linux), else the wheels' copies on disk."""
    found: list[str] = []
    try:
        lines = Path("/proc/self/maps").read_text().splitlines()
    except OSError:  # not Linux, or a confined child (`layers.imports.sandbox`)
        return list(_guarded)
    for line in lines:
        path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
        if "/libgdal" in path and ".so" in path and path not in found:
            found.append(path)
    return found


def _load_gdal_users() -> None:
    """Import the packages that bring a GDAL of their own, so that each copy is loaded now."""
    for module in ("pyogrio", "rasterio"):
        try:
            __import__(module)
        except ImportError:  # pragma: no cover - both are pinned requirements
            continue


def _driver_names(library: ctypes.CDLL) -> list[str]:
    library.GDALGetDriverCount.restype = ctypes.c_int
    library.GDALGetDriver.restype = ctypes.c_void_p
    library.GDALGetDriver.argtypes = [ctypes.c_int]
    library.GDALGetDriverShortName.restype = ctypes.c_char_p
    library.GDALGetDriverShortName.argtypes = [ctypes.c_void_p]
    names = []
    for index in range(library.GDALGetDriverCount()):
        driver = library.GDALGetDriver(index)
        if driver:
            names.append(library.GDALGetDriverShortName(driver).decode())
    return names


def _refusing_callback(library: ctypes.CDLL) -> object:
    library.CPLCalloc.restype = ctypes.c_void_p
    library.CPLCalloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
    library.CPLStrdup.restype = ctypes.c_void_p
    library.CPLStrdup.argtypes = [ctypes.c_char_p]

    def refuse(_url, _options, _progress, _progress_arg, _write, _write_arg, _user):
        result = library.CPLCalloc(1, _RESULT_BYTES)
        ctypes.c_int.from_address(result).value = 1  # nStatus: the request failed
        ctypes.c_void_p.from_address(result + _ERRBUF_OFFSET).value = library.CPLStrdup(REFUSAL)
        return result

    return _CALLBACK_TYPE(refuse)


def kept_drivers(path: str) -> frozenset[str]:
    """The drivers the GDAL copy at `path` keeps: `KEPT_DRIVERS`, plus its package's own needs."""
    extra = [
        drivers for package, drivers in INTERNAL_DRIVERS.items() if f"/{package}.libs/" in path
    ]
    return KEPT_DRIVERS.union(*extra)


def _guard_copy(path: str) -> _Copy:
    library = ctypes.CDLL(path)
    library.CPLSetConfigOption.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    library.CPLSetConfigOption.restype = None
    for key, value in ENVIRONMENT.items():
        library.CPLSetConfigOption(key.encode(), value.encode())
    library.GDALAllRegister()
    kept = kept_drivers(path)
    skipped = tuple(name for name in _driver_names(library) if name not in kept)
    library.CPLSetConfigOption(b"GDAL_SKIP", ",".join(skipped).encode())
    library.GDALAllRegister()  # registers nothing new, then deregisters GDAL_SKIP's drivers
    callback = _refusing_callback(library)
    library.CPLHTTPSetFetchCallback.argtypes = [_CALLBACK_TYPE, ctypes.c_void_p]
    library.CPLHTTPSetFetchCallback.restype = None
    library.CPLHTTPSetFetchCallback(callback, None)
    return _Copy(path=path, library=library, callback=callback, skipped=skipped)


def gdal_guard() -> list[GuardStatus]:
    """Guard every GDAL copy in this process (idempotent); return their status."""
    with _lock:
        os.environ.update(ENVIRONMENT)
        _load_gdal_users()
        for path in _loaded_gdal_paths():
            if path not in _guarded:
                _guarded[path] = _guard_copy(path)
    return gdal_guard_status()


def gdal_guard_status() -> list[GuardStatus]:
    """For each GDAL copy loaded, the forbidden drivers still registered and the HTTP refusal."""
    statuses = []
    for path in _loaded_gdal_paths():
        copy = _guarded.get(path)
        library = copy.library if copy else ctypes.CDLL(path)
        kept = kept_drivers(path)
        forbidden = tuple(n for n in _driver_names(library) if n not in kept)
        statuses.append(GuardStatus(path, forbidden, http_refused=copy is not None))
    return statuses


class GdalUnguarded(RuntimeError):
    """A GDAL copy in this process could open what it must not, or reach the network."""


def gdal_guard_require() -> None:
    """Guard GDAL if that was not done, and raise `GdalUnguarded` if a copy is still unsafe."""
    global _verified
    if _verified:
        return
    unsafe = [status for status in gdal_guard() if not status.ok]
    if unsafe:
        raise GdalUnguarded(
            "; ".join(f"{s.path}: drivers {', '.join(s.forbidden_registered)}" for s in unsafe)
        )
    _verified = True
