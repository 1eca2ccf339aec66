"""Field app benchmarks (issue 18): the bytes a 10-photo survey sends from the phone.

field.photo_bytes  Ten phone-camera photos (4000 x 3000 JPEGs, quality 92, a gradient with
                   noise so they compress like photos, not like flat colour) go through the
                   app's own resizing code (`geoapp/static/geoapp/field/photo.js`: canvas,
                   1600 px, about 500 KB) in Debian's headless chromium; the row adds the
                   bytes of the ten photo bodies and of the survey's JSON body (10 container
                   rows), against the camera files as they are (what an app that does not
                   resize would send). Goal: under 6 MB (issue 18).
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.registry import Row, benchmark

PHOTOS = 10
PHOTO_JS = (
    Path(__file__).resolve().parents[1] / "geoapp" / "static" / "geoapp" / "field" / "photo.js"
)
GOAL_MB = 6.0


def camera_photo(seed: int, size: tuple[int, int] = (4000, 3000)) -> bytes:
    """A JPEG as a phone camera writes it: large, detailed (noise over a gradient), quality 92."""
    rng = np.random.default_rng(seed)
    width, height = size
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    base = 255 * np.concatenate([x * np.ones_like(y), y * np.ones_like(x), (1 - x) * y], axis=2)
    noise = rng.normal(0, 18, (height, width, 3)).astype(np.float32)
    pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="JPEG", quality=92)
    return out.getvalue()


def survey_body() -> bytes:
    """The JSON body the app sends for one surveyed house with ten container rows."""
    rows = [
        {"type": t, "location": loc, "containers": 3, "positive": 1}
        for t in (1, 2, 3, 4, 5)
        for loc in ("indoor", "outdoor")
    ]
    body = {
        "client_uuid": str(uuid.uuid4()),
        "base_version": 0,
        "place_id": 12345,
        "building_id": 1234567,
        "house_number": "",
        "round_number": 1,
        "surveyed_at": "2026-12-08T02:00:00.000Z",
        "status": "surveyed",
        "containers": rows,
    }
    return json.dumps(body).encode()


@benchmark("field.photo_bytes")
def photo_bytes(repeat: int) -> list[Row]:
    """Bytes of a 10-photo survey as the app sends it, against the camera's files."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import CHROMIUM_ARGS, chromium_path

    photos = [camera_photo(seed) for seed in range(PHOTOS)]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page()
            page.set_content("<!DOCTYPE html><html><body></body></html>")
            page.add_script_tag(content=PHOTO_JS.read_text(encoding="utf-8"))
            sent = [
                page.evaluate(
                    "async b64 => { const r = await fetch('data:image/jpeg;base64,' + b64);"
                    " const out = await window.mueangPhoto.resize(await r.blob());"
                    " return out.size; }",
                    base64.b64encode(photo).decode(),
                )
                for photo in photos
            ]
        finally:
            browser.close()
    camera_mb = sum(len(p) for p in photos) / 1e6
    sent_mb = (sum(sent) + len(survey_body())) / 1e6
    if sent_mb >= GOAL_MB:
        raise RuntimeError(f"a 10-photo survey sends {sent_mb:.2f} MB, over the {GOAL_MB} MB goal")
    measures = (
        f"{PHOTOS} photos 4000x3000 ({camera_mb:.1f} MB from the camera) resized by the app's "
        f"photo.js in headless chromium, largest {max(sent) / 1e3:.0f} KB, + survey JSON: "
        f"{sent_mb:.2f} MB sent; goal < {GOAL_MB:g} MB"
    )
    return [Row("field.photo_bytes", measures, camera_mb, sent_mb, "MB")]
