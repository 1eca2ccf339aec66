"""Attacks on resident report photos: location metadata, disguised files, oversized images.

Every stored copy must be a plain re-encoded JPEG: no EXIF (GPS, device), no XMP, no comment;
anything that is not a JPEG, PNG or WebP by its content is refused whatever its name says.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from django.utils import translation
from PIL import Image

from geoapp.models import ReportPhoto
from geoapp.reports.photos import MAX_SIDE_PX, PhotoRejected, photo_clean, photo_path
from tests.geoapp.test_reports_models import report_make

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="8,25.95N" exif:GPSLongitude="99,57.78E"/></rdf:RDF></x:xmpmeta>'
)
LEAKS = [b"Exif", b"GPS", b"ns.adobe.com", b"AcmePhone", b"25.95N", b"<?php", b"ICC_PROFILE"]


def jpeg_with_location(size=(1200, 900), orientation: int | None = None) -> bytes:
    """A phone photo as it leaves the camera: GPS, device tags, XMP, a comment, an ICC profile."""
    image = Image.new("RGB", size, (200, 40, 40))
    image.paste((20, 20, 220), (0, 0, size[0] // 4, size[1] // 4))  # a corner to find rotation
    exif = Image.Exif()
    exif[0x010F] = "AcmePhone"  # Make
    exif[0x0110] = "AcmePhone 12 Pro"  # Model
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (8.0, 25.0, 57.0), 3: "E", 4: (99.0, 57.0, 47.0)})
    out = io.BytesIO()
    image.save(
        out,
        format="JPEG",
        exif=exif,
        xmp=XMP,
        comment=b"<?php system($_GET['c']); ?>",
        icc_profile=b"\0" * 128,
    )
    return out.getvalue()


def assert_bare(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    assert [leak for leak in LEAKS if leak in data] == []


@pytest.fixture(autouse=True)
def english():
    """The refusals are read in English here, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


def test_the_attack_photo_really_carries_gps_and_device_tags():
    original = jpeg_with_location()
    image = Image.open(io.BytesIO(original))

    assert image.getexif().get_ifd(0x8825)[2] == (8.0, 25.0, 57.0)
    assert all(leak in original for leak in (b"GPS", b"AcmePhone", b"25.95N", b"<?php"))


def test_no_gps_or_device_tag_in_any_stored_file(nst, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report = report_make(nst, photos=[photo_clean(jpeg_with_location()) for _ in range(2)])

    stored = sorted((tmp_path / "reports").rglob("*"))
    files = [path for path in stored if path.is_file()]

    assert len(files) == 2 == report.photos.count()
    for path in files:
        assert_bare(path.read_bytes())
    assert {photo_path(p.stored_name) for p in ReportPhoto.objects.filter(report=report)} == set(
        files
    )


def test_the_camera_orientation_is_applied_before_the_tags_go():
    clean = photo_clean(jpeg_with_location(size=(1200, 900), orientation=6))
    image = Image.open(io.BytesIO(clean.jpeg))

    assert (clean.width, clean.height) == (900, 1200) == image.size
    # Rotated 90° clockwise: the blue corner is now at the top right.
    assert image.getpixel((image.width - 20, 20))[2] > 150
    assert_bare(clean.jpeg)


@pytest.mark.parametrize(
    "payload",
    [
        b"<?php system($_GET['c']); ?>",
        b"\xff\xd8\xff\xe0<?php system($_GET['c']); ?>",  # a JPEG signature, then PHP
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<html><script>alert(document.cookie)</script></html>",
        b"GIF89a" + b"\0" * 64,
        b"",
    ],
    ids=["php", "php-after-jpeg-magic", "svg", "html", "gif", "empty"],
)
def test_files_that_are_not_photos_are_refused_whatever_their_name(payload):
    with pytest.raises(PhotoRejected):
        photo_clean(payload)


def test_php_hidden_in_a_real_jpeg_is_not_stored():
    polyglot = jpeg_with_location() + b"<?php system($_GET['c']); ?>"

    assert b"<?php" not in photo_clean(polyglot).jpeg


def test_a_large_photo_is_downscaled():
    big = Image.new("RGB", (5000, 3000), (10, 120, 10))
    out = io.BytesIO()
    big.save(out, format="PNG")

    clean = photo_clean(out.getvalue())

    assert (clean.width, clean.height) == (MAX_SIDE_PX, 960)


def test_too_many_pixels_are_refused_before_decoding():
    """A 20,000 x 20,000 PNG of zeros is 30 KB on disk and 1.2 GB once decoded."""
    assert len(_png_header_only(20_000, 20_000)) < 100_000
    with pytest.raises(PhotoRejected, match="pixels"):
        photo_clean(_png_header_only(20_000, 20_000))
    with pytest.raises(PhotoRejected, match="pixels"):
        photo_clean(_png_header_only(8000, 6000))  # 48 MP, over the 40 MP limit


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(PhotoRejected, match="15 MB"):
        photo_clean(b"\xff\xd8\xff" + b"\0" * (15 * 1024 * 1024))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG declaring width x height grey pixels, all zero, deflated (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    raw = zlib.compressobj(9)
    row = b"\0" * (width + 1)
    data = b"".join(raw.compress(row) for _ in range(min(height, 200))) + raw.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def test_stored_photos_live_under_media_reports_with_random_names(nst, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report = report_make(nst, photos=[photo_clean(jpeg_with_location())])

    name = Path(report.photos.get().stored_name)

    assert name.parts[:2] == ("reports", str(nst.pk))
    assert len(name.stem) == 32
    assert name.suffix == ".jpg"


def test_a_refusal_reads_in_thai_on_thai_pages():
    with translation.override("th"), pytest.raises(PhotoRejected, match="พิกเซลมากเกินไป"):
        photo_clean(_png_header_only(20_000, 20_000))
