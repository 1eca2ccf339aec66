"""Where imported dataset files live under MEDIA_ROOT: one place for imports, history, catalogue."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def dataset_file_path(*, municipality_code: str, slug: str) -> Path:
    """Where a `dataset` import keeps its features: MEDIA_ROOT/datasets/<code>/<slug>.geojson."""
    return Path(settings.MEDIA_ROOT) / "datasets" / municipality_code / f"{slug}.geojson"


def dataset_file_before_path(path: Path, import_run_id: int) -> Path:
    """Where the file as it was before import `import_run_id` is kept (for its rollback).

    A `.absent` twin of this path says there was no file: the import created the dataset.
    """
    return path.parent / ".history" / f"{path.stem}.before-{import_run_id}{path.suffix}"
