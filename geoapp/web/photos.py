"""Uploaded photos: checked to be images by their content, re-encoded, stored without metadata.

Residents' report photos (`geoapp.reports`) and relief claims' field photos (`geoapp.flood`)
pass through here. An uploaded file is hostile: its name and declared type are ignored, Pillow
reads only the formats below, the pixel count is checked before the pixels are decoded, and what
is stored is a new JPEG drawn from the pixels alone, so no EXIF (GPS, device), XMP, comment or
ICC block of the upload can survive in any stored copy.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

#: Formats Pillow may open (checked from the file's first bytes, not its name).
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 MP: larger than any phone camera, far below a decompression bomb
MAX_SIDE_PX = 1600  # stored photos are downscaled to this longest side
MAX_PHOTOS = 3
JPEG_QUALITY = 82


class PhotoRejected(ValueError):
    """A file that is not an acceptable photo; the message is for the resident."""


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo ready to store: JPEG bytes with no metadata."""

    jpeg: bytes
    width: int
    height: int


def photo_clean(data: bytes) -> CleanPhoto:
    """Check that `data` is a photo and return it re-encoded, downscaled and without metadata.

    Raises `PhotoRejected` for anything else: too large, not an image, too many pixels.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRejected(_("A photo may be at most 15 MB."))
    image = _opened(data)
    try:
        # Turn the pixels as the camera meant, then forget every tag (the orientation too).
        image = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, SyntaxError) as error:
        raise PhotoRejected(_("This file is not a readable photo.")) from error
    image.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX), Image.Resampling.LANCZOS)
    # A new image from the pixels alone: `info` (XMP, comments, ICC) does not come along.
    bare = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    bare.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanPhoto(jpeg=out.getvalue(), width=bare.width, height=bare.height)


def _opened(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise PhotoRejected(_("This file is not a photo (JPEG, PNG or WebP).")) from error
    except Image.DecompressionBombError as error:
        raise PhotoRejected(_("This photo has too many pixels.")) from error
    if image.width * image.height > MAX_PIXELS:
        raise PhotoRejected(_("This photo has too many pixels."))
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise PhotoRejected(_("This file is not a readable photo.")) from error
    return image


def photo_path(stored_name: str) -> Path:
    """The file of a stored photo (the name comes from the database, never from a request)."""
    return Path(settings.MEDIA_ROOT) / stored_name
