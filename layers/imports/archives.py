"""Zip and KMZ archives, unpacked only after every entry has been checked.

Before anything is written to disk: the entry count, the declared total size, each entry's
compression ratio, overlapping entries, unsafe paths (zip slip), symbolic links, password
protection and nested archives. While unpacking, the bytes actually written are counted too,
because an entry's header may lie about its size.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from layers.imports.limits import ImportLimits
from layers.imports.messages import quoted, refuse

NESTED_ARCHIVE_SUFFIXES = {
    ".zip", ".kmz", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", ".rar", ".zst", ".lz4", ".z",
    ".cab", ".jar", ".gpkg.zip", ".shz",
}  # fmt: skip
NESTED_ARCHIVE_MAGIC = (
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd",
)
# Files GDAL would follow to other paths or services: never unpacked, never opened.
DRIVER_FILE_SUFFIXES = {".vrt", ".gdalg.json", ".xodr", ".ovf"}
# What is unpacked; anything else (images of a KMZ, PDFs, metadata) is skipped.
UNPACKED_SUFFIXES = {
    ".shp", ".shx", ".dbf", ".prj", ".cpg", ".geojson", ".json", ".gpkg", ".kml", ".csv",
}  # fmt: skip
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Unpacked:
    """What an archive held: the unpacked files, and the entries skipped as irrelevant."""

    files: list[Path]
    skipped: list[str]


def _display_name(info: zipfile.ZipInfo) -> str:
    """Entry names not flagged UTF-8 are cp437 by the standard; Thai tools write cp874."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("cp874")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _unsafe_path(name: str) -> bool:
    normalised = name.replace("\\", "/")
    if "\x00" in name or normalised.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in PurePosixPath(normalised).parts


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _suffix(name: str) -> str:
    lowered = name.lower()
    for double in (".gpkg.zip", ".gdalg.json"):
        if lowered.endswith(double):
            return double
    return PurePosixPath(lowered).suffix


def archive_check(
    path: Path, *, limits: ImportLimits, suffixes: frozenset[str] | set[str] = UNPACKED_SUFFIXES
) -> list[zipfile.ZipInfo]:
    """Check every entry of a zip archive without unpacking; return the entries to unpack.

    `suffixes` are the data files wanted (GeoTIFF imports ask for `.tif`). Raises
    `ImportRefused` naming the first problem found.
    """
    file = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise refuse("archive_bad", file=file) from None
    with archive:
        entries = archive.infolist()
    if len(entries) > limits.max_archive_entries:
        raise refuse(
            "archive_too_many_entries",
            file=file,
            count=len(entries),
            limit=limits.max_archive_entries,
        )
    total = sum(info.file_size for info in entries)
    if total > limits.max_uncompressed_bytes:
        raise refuse(
            "archive_too_large", file=file, size=total, limit=limits.max_uncompressed_bytes
        )
    # Entries sharing compressed bytes (Fifield's overlapping zip bomb) claim more compressed
    # data than the archive holds.
    if sum(info.compress_size for info in entries) > path.stat().st_size:
        raise refuse("archive_overlap", file=file)
    wanted = []
    for info in entries:
        name = quoted(_display_name(info))
        if _unsafe_path(info.filename):
            raise refuse("archive_unsafe_path", file=file, name=name)
        if _is_symlink(info):
            raise refuse("archive_symlink", file=file, name=name)
        if info.is_dir():
            continue
        suffix = _suffix(info.filename)
        if suffix in NESTED_ARCHIVE_SUFFIXES:
            raise refuse("archive_nested", file=file, name=name)
        if suffix in DRIVER_FILE_SUFFIXES:
            raise refuse("driver_file_refused", file=file, name=name)
        if info.flag_bits & 0x1:
            raise refuse("archive_encrypted", file=file, name=name)
        if info.file_size >= limits.ratio_check_from_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise refuse(
                    "archive_ratio",
                    file=file,
                    name=name,
                    ratio=int(ratio),
                    limit=limits.max_compression_ratio,
                )
        if suffix in suffixes and not PurePosixPath(info.filename).name.startswith("."):
            wanted.append(info)
    return wanted


def _target(destination: Path, info: zipfile.ZipInfo) -> Path:
    parts = PurePosixPath(info.filename.replace("\\", "/")).parts
    name = PurePosixPath(parts[-1])
    # Lower-case extensions so the shapefile driver finds its sidecar files.
    safe = [*parts[:-1], name.stem + name.suffix.lower()]
    target = destination.joinpath(*safe).resolve()
    if not target.is_relative_to(destination.resolve()):
        raise refuse("archive_unsafe_path", name=quoted(info.filename))
    return target


def archive_unpack(
    path: Path,
    destination: Path,
    *,
    limits: ImportLimits,
    suffixes: frozenset[str] | set[str] = UNPACKED_SUFFIXES,
) -> Unpacked:
    """Check the archive, then unpack the data files into `destination`, counting every byte."""
    wanted = archive_check(path, limits=limits, suffixes=suffixes)
    wanted_names = {info.filename for info in wanted}
    written_total = 0
    files = []
    with zipfile.ZipFile(path) as archive:
        skipped = [
            _display_name(info)
            for info in archive.infolist()
            if not info.is_dir() and info.filename not in wanted_names
        ]
        for info in wanted:
            target = _target(destination, info)
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            name = quoted(_display_name(info))
            try:
                with archive.open(info) as source, open(target, "xb") as out:
                    first = True
                    while chunk := source.read(CHUNK_BYTES):
                        if first and chunk.startswith(NESTED_ARCHIVE_MAGIC):
                            raise refuse("archive_nested", file=path.name, name=name)
                        first = False
                        written += len(chunk)
                        written_total += len(chunk)
                        if written > info.file_size:
                            raise refuse("archive_size_mismatch", file=path.name, name=name)
                        if written_total > limits.max_uncompressed_bytes:
                            raise refuse(
                                "archive_too_large",
                                file=path.name,
                                size=written_total,
                                limit=limits.max_uncompressed_bytes,
                            )
                        out.write(chunk)
            except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError) as error:
                raise refuse(
                    "unreadable", file=path.name, detail=quoted(f"{info.filename}: {error}")
                ) from None
            files.append(target)
    return Unpacked(files=files, skipped=skipped)
