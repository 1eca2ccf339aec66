"""Catalogue writes: deleting a dataset, with its features, and a line in the catalogue's history.

The features go through their layer tables, so each deletion is in the feature history with the
row as it was (restorable there by id); a file dataset's file is moved aside, not destroyed.
The dataset itself leaves a `DatasetEvent`: what it was, who deleted it and when.
"""

from __future__ import annotations

from django.db import transaction

from layers.history.services import change_context, dataset_event_record
from layers.models import Dataset, DatasetEvent, Municipality
from layers.registry import layer_find
from layers.storage import dataset_files_set_aside
from layers.tenancy import tenant_scope


def dataset_delete(*, municipality: Municipality, dataset: Dataset, user) -> DatasetEvent:
    """Delete the dataset and its features in one transaction; the event says who and when."""
    with tenant_scope(municipality_ids=[municipality.pk], user_id=getattr(user, "pk", None)):
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk, municipality=municipality)
        layer = layer_find(locked.kind)
        removed = 0
        with change_context(note=f"dataset {locked.slug} deleted"[:200]):
            if layer is not None and hasattr(layer.model, "dataset"):
                _total, counts = layer.model.objects.filter(
                    municipality=municipality, dataset=locked
                ).delete()
                removed = counts.get(layer.model._meta.label, 0)
        event = dataset_event_record(dataset=locked, features=removed, user=user)
        slug = locked.slug
        locked.delete()
        transaction.on_commit(
            lambda: dataset_files_set_aside(
                municipality_code=municipality.code, slug=slug, event_id=event.pk
            )
        )
    return event
