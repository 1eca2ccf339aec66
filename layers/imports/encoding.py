"""Text encodings: honour a shapefile's `.cpg`, else tell UTF-8 from TIS-620/CP874 by the bytes.

Thai files come in two encodings: UTF-8, and TIS-620 (or its Windows superset CP874) from older
desktop GIS. Without a `.cpg`, GDAL would read TIS-620 as Latin-1 and store mojibake
("¶¹¹" for "ถนน"). Here the bytes decide: strictly valid UTF-8 is UTF-8; otherwise, if they
decode as CP874 into Thai letters, they are CP874; otherwise the user must say.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from layers.imports.messages import quoted, refuse

# Three Thai characters in a row: Thai words do that, Latin-1 accents read as CP874 rarely do.
THAI_WORD = re.compile(r"[\u0e01-\u0e4e]{3,}")
_HIGH_BYTES = bytes(range(0x80, 0x100))
SAMPLE_BYTES = 16 * 1024 * 1024
ENOUGH_NON_ASCII = 64 * 1024
CHUNK_BYTES = 1024 * 1024

# `.cpg` contents and LDIDs seen in the wild, to Python codec names.
_CPG_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "65001": "utf-8",
    "874": "cp874",
    "cp874": "cp874",
    "windows-874": "cp874",
    "windows874": "cp874",
    "ansi 874": "cp874",
    "tis-620": "cp874",
    "tis620": "cp874",
    "tis_620": "cp874",
    "iso-8859-11": "cp874",
    "iso8859-11": "cp874",
    "iso-8859-1": "latin-1",
    "88591": "latin-1",
}
# dBASE language driver id (byte 29 of the .dbf header) for Thai.
_LDID_THAI = {0x7C: "cp874", 0x50: "cp874"}


@dataclass(frozen=True)
class Encoding:
    """The codec text is read with, and how it was chosen (for the report)."""

    codec: str
    origin: str


def codec_name(name: str) -> str:
    """A Python codec for an encoding name, or `ImportRefused` if it is unknown."""
    cleaned = name.strip().lower()
    cleaned = _CPG_ALIASES.get(cleaned, cleaned)
    try:
        return codecs.lookup(cleaned).name
    except LookupError:
        raise refuse("encoding_unknown", encoding=quoted(name)) from None


def _dbf_text_region(path: Path) -> tuple[int, int]:
    """Offsets of the field descriptors (which hold column names) and of the records."""
    with open(path, "rb") as dbf:
        header = dbf.read(32)
    if len(header) < 32:
        return 0, 0
    return 32, int.from_bytes(header[8:10], "little")


def _read_sample(path: Path, *, start: int = 0) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(start)
        return handle.read(SAMPLE_BYTES)


def detect(data: bytes) -> str | None:
    """'utf-8', 'cp874', 'ascii' (nothing to decide) or None (neither) for a sample of bytes.

    Examples
    --------
    >>> detect("ถนนราชดำเนิน".encode("cp874"))
    'cp874'
    >>> detect("ถนนราชดำเนิน".encode("utf-8"))
    'utf-8'
    """
    data = data.removeprefix(codecs.BOM_UTF8)
    if data.isascii():
        return "ascii"
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    non_ascii = 0
    try:
        for start in range(0, len(data), CHUNK_BYTES):
            chunk = data[start : start + CHUNK_BYTES]
            decoder.decode(chunk, final=False)
            non_ascii += len(chunk) - len(chunk.translate(None, _HIGH_BYTES))
            if non_ascii > ENOUGH_NON_ASCII:
                return "utf-8"
        return "utf-8"  # a character cut at the end of the sample is not an error
    except UnicodeDecodeError:
        pass
    text = data.decode("cp874", errors="replace")
    if THAI_WORD.search(text) and text.count("\ufffd") <= len(text) // 1000:
        return "cp874"
    return None


def _from_bytes(sample: bytes, *, file: str) -> Encoding:
    found = detect(sample)
    if found is None:
        raise refuse("encoding_undetected", file=file)
    if found == "ascii":
        return Encoding("utf-8", "ASCII")
    if found == "cp874":
        return Encoding("cp874", "TIS-620/CP874 detected: not UTF-8, decodes to Thai letters")
    return Encoding("utf-8", "UTF-8 detected")


def _check(sample: bytes, codec: str, *, file: str, origin: str) -> None:
    """Refuse early when the declared encoding cannot decode the text at all."""
    try:
        codecs.getincrementaldecoder(codec)("strict").decode(sample, final=False)
    except UnicodeDecodeError:
        guess = detect(sample)
        raise refuse(
            "encoding_mismatch",
            file=file,
            encoding=codec,
            origin=origin,
            suggestion=guess if guess not in (None, "ascii") else "cp874",
        ) from None


def shapefile_encoding(shp: Path, *, given: str | None) -> Encoding:
    """The encoding of a shapefile's `.dbf`: `--encoding`, else `.cpg`, else LDID, else bytes."""
    dbf = _sidecar(shp, ".dbf")
    file = shp.name
    if dbf is None:
        return Encoding(codec_name(given or "utf-8"), "--encoding" if given else "no .dbf")
    start, records = _dbf_text_region(dbf)
    sample = _read_sample(dbf, start=start)
    if given:
        return Encoding(codec_name(given), "--encoding")
    cpg = _sidecar(shp, ".cpg")
    if cpg is not None:
        declared = cpg.read_text(encoding="ascii", errors="replace").strip()
        codec = codec_name(declared)
        _check(sample[max(records - start, 0) :] or sample, codec, file=file, origin=".cpg")
        return Encoding(codec, f".cpg says {declared}")
    with open(dbf, "rb") as handle:
        header = handle.read(32)
    if len(header) == 32 and header[29] in _LDID_THAI:
        return Encoding(_LDID_THAI[header[29]], f".dbf language driver {header[29]:#04x}")
    return _from_bytes(sample, file=file)


def text_file_encoding(path: Path, *, given: str | None) -> Encoding:
    """The encoding of a CSV or GeoJSON file: `--encoding`, else detected from the bytes."""
    if given:
        return Encoding(codec_name(given), "--encoding")
    sample = _read_sample(path)
    if sample.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8", "UTF-8 byte order mark")
    return _from_bytes(sample, file=path.name)


def _sidecar(shp: Path, suffix: str) -> Path | None:
    for candidate in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def dbf_field_names_repair(dbf: Path, codec: str) -> list[str]:
    """Trim column names that a writer cut in the middle of a character; return them.

    dBASE names hold 11 bytes: a Thai name in UTF-8 (3 bytes a letter) is cut mid-letter by
    GDAL and QGIS, and the cut name cannot be decoded. The partial letter is dropped in place,
    so only call this on a private copy of the file.
    """
    if codecs.lookup(codec).name != "utf-8":
        return []
    repaired = []
    with open(dbf, "r+b") as handle:
        header = handle.read(32)
        if len(header) < 32:
            return []
        header_length = int.from_bytes(header[8:10], "little")
        for offset in range(32, header_length - 31, 32):
            handle.seek(offset)
            descriptor = handle.read(32)
            if len(descriptor) < 32 or descriptor[0] == 0x0D:
                break
            raw = descriptor[:11].split(b"\x00", 1)[0]
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                fixed = raw.decode("utf-8", errors="ignore").encode("utf-8")
                handle.seek(offset)
                handle.write(fixed.ljust(11, b"\x00"))
                repaired.append(fixed.decode("utf-8"))
    return repaired
