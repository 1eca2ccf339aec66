"""Limits that keep a hostile or broken file from exhausting memory, disk or time."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

GIB = 1024**3
MIB = 1024**2


@dataclass(frozen=True)
class ImportLimits:
    """How much an import may read; each can be set in settings as `MUEANG_IMPORT_<NAME>`.

    For example `MUEANG_IMPORT_MAX_VERTICES_PER_FEATURE = 500_000`.
    """

    max_file_bytes: int = 2 * GIB  # the uploaded file or archive itself
    max_archive_entries: int = 1000
    max_uncompressed_bytes: int = 2 * GIB  # everything an archive unpacks to
    max_compression_ratio: int = 200  # per entry; deflate tops out near 1032:1
    ratio_check_from_bytes: int = MIB  # tiny entries (.cpg, .prj) may compress oddly
    max_vertices_per_feature: int = 200_000
    max_issues_listed: int = 100
    # GeoTIFF: what the header declares is checked before a pixel is read.
    max_raster_side: int = 100_000  # cells across or down
    max_raster_cells: int = 1_000_000_000  # width x height x bands
    max_raster_bands: int = 32
    # Rows read and checked at a time: small enough that the read-ahead thread's C calls
    # (GDAL's read, shapely) hold the GIL briefly, so the writing thread seldom waits for it.
    batch_size: int = 5_000
    # Rows that only create features are written this many at a time (one COPY, one INSERT):
    # fewer round trips make the writing thread wait less for the GIL while the read-ahead
    # worker holds it in long C calls (a GDAL read, a shapely function).
    write_rows: int = 50_000
    # Rows that only create features are read, checked and encoded in a forked child process
    # where that is safe (`sources.fork_safe`); False keeps that work in a thread.
    read_in_child: bool = True

    @classmethod
    def from_settings(cls, **overrides: int) -> ImportLimits:
        """The defaults, then settings `MUEANG_IMPORT_*`, then explicit overrides."""
        from django.conf import settings

        configured: dict[str, Any] = {
            f.name: getattr(settings, f"MUEANG_IMPORT_{f.name.upper()}")
            for f in fields(cls)
            if hasattr(settings, f"MUEANG_IMPORT_{f.name.upper()}")
        }
        given: dict[str, Any] = {
            name: value for name, value in overrides.items() if value is not None
        }
        return replace(cls(), **configured, **given)
