"""Reads of the history pages that the layers' history selectors leave to the site."""

from __future__ import annotations

from django.http import Http404

from layers.models import Dataset, ImportRun, Municipality


def import_run_get(*, municipality: Municipality, dataset: Dataset, import_id: int) -> ImportRun:
    """The dataset's import `import_id` with its users; 404 for any other dataset's."""
    run = (
        ImportRun.objects.filter(municipality=municipality, dataset=dataset, pk=import_id)
        .select_related("user", "rolled_back_by")
        .first()
    )
    if run is None:
        raise Http404("No such import of this dataset")
    return run
