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


def dataset_files_set_aside(*, municipality_code: str, slug: str, event_id: int) -> None:
    """Move a deleted dataset's files (features or raster) into `.history/`, named by the event.

    Nothing is destroyed by a deletion in the catalogue; an administrator can still find the
    file by the event's number.
    """
    folder = Path(settings.MEDIA_ROOT) / "datasets" / municipality_code
    for suffix in (".geojson", ".tif"):
        path = folder / f"{slug}{suffix}"
        if path.is_file():
            kept = folder / ".history" / f"{slug}.deleted-{event_id}{suffix}"
            kept.parent.mkdir(parents=True, exist_ok=True)
            path.replace(kept)
