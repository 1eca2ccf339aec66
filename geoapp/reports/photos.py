"""Residents' photos: stored re-encoded without metadata (the checks are `geoapp.web.photos`)."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings

from geoapp.web.photos import (  # noqa: F401 (the reports' names for the shared photo checks)
    ACCEPTED_FORMATS,
    JPEG_QUALITY,
    MAX_PHOTOS,
    MAX_PIXELS,
    MAX_SIDE_PX,
    MAX_UPLOAD_BYTES,
    CleanPhoto,
    PhotoRejected,
    photo_clean,
    photo_path,
)


def photo_root() -> Path:
    """Where report photos live: MEDIA_ROOT/reports/."""
    return Path(settings.MEDIA_ROOT) / "reports"


def photo_write(*, municipality_id: int, photo: CleanPhoto) -> str:
    """Write the clean photo under a random name; return its name relative to MEDIA_ROOT."""
    relative = Path("reports") / str(int(municipality_id)) / f"{secrets.token_hex(16)}.jpg"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(photo.jpeg)
    return relative.as_posix()
