"""Feature history pages of the catalogue: a feature's versions, restore, roll back an import.

Whoever may read a dataset (`permissions.dataset_access`) may read its history; restoring
a feature or rolling back an import needs the right to edit the dataset's layer
(`EDIT_ACTIONS`). Features and imports are looked up inside the dataset, so an id from another
dataset or municipality answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from geoapp.history.forms import RestoreForm, RollbackForm
from geoapp.templatetags.thaiformat import datetime_text
from geoapp.web import permissions
from geoapp.web.permissions import Action, dataset_access
from layers.catalogue.selectors import dataset_get
from layers.history.selectors import (
    KIND_LAYERS,
    HistoryError,
    dataset_events,
    dataset_history,
    dataset_import,
    dataset_imports,
    feature_history,
)
from layers.history.services import restore_feature, rollback_import
from layers.models import Dataset, FeatureHistory, ImportRun, Municipality
from layers.registry import LayerMap, layers_with

#: Kinds of datasets whose very entries only exact-case readers see (the layers read that way).
CASE_KINDS: LayerMap[str] = LayerMap(
    lambda: {layer.name: layer.name for layer in layers_with(read=Action.VIEW_CASES_EXACT.value)}
)

#: The action that allows changing the features of a dataset of each kind (the layer's `edit`).
EDIT_ACTIONS: LayerMap[Action] = LayerMap(
    lambda: {layer.name: Action(layer.edit) for layer in layers_with(edit=True)}
)


def can_edit(user, municipality: Municipality, dataset: Dataset) -> bool:
    """Whether the user may restore features of the dataset or roll back its imports.

    A layer's dataset needs the layer's edit right; a file dataset (any other kind, "other
    dataset" included) the right to manage datasets, as its import did.
    """
    action = EDIT_ACTIONS.get(dataset.kind)
    if action is None and dataset.kind not in KIND_LAYERS:
        action = Action.MANAGE_DATASETS
    return action is not None and permissions.can(user, municipality, action)


def when(moment) -> str:
    """A moment as an officer reads it: `21 พ.ย. 2569 15:38 น.` (Buddhist era in Thai)."""
    return datetime_text(moment)


def op_label(op: str) -> str:
    """What a change did, in words."""
    return str(FeatureHistory.Op(op).label)


def refusal_text(error: HistoryError) -> str:
    """The refusal in the page's language."""
    return error.english if translation.get_language() == "en" else error.thai


def _any_dataset(request: HttpRequest, code: str, slug: str) -> tuple[Municipality, Dataset]:
    """The municipality and a dataset of any kind the user may read (else 404)."""
    municipality = permissions.municipality_requiring(request.user, code, Action.VIEW_LAYERS)
    dataset = dataset_get(
        municipality=municipality, slug=slug, access=dataset_access(request.user, municipality)
    )
    if dataset is None:
        raise Http404("No such dataset")
    return municipality, dataset


def _dataset(request: HttpRequest, code: str, slug: str) -> tuple[Municipality, Dataset, str]:
    """As `_any_dataset`, for a dataset whose features keep a history (with its layer)."""
    municipality, dataset = _any_dataset(request, code, slug)
    layer = KIND_LAYERS.get(dataset.kind)
    if layer is None:
        raise Http404("This dataset keeps no feature history")
    return municipality, dataset, layer


def _versions(municipality: Municipality, dataset: Dataset, layer: str, feature_id: int):
    versions = feature_history(municipality=municipality, layer=layer, feature_id=feature_id)
    touched = {v.before.get("dataset_id") for v in versions if v.before} | {
        v.after.get("dataset_id") for v in versions if v.after
    }
    if not versions or dataset.pk not in touched:
        raise Http404("No such feature in this dataset")
    return versions


def _label(versions) -> str:
    for version in reversed(versions):
        for row in (version.after, version.before):
            if row:
                name = row.get("name_th") or row.get("event") or row.get("source_id")
                if name:
                    return str(name)
    return ""


@login_required
@require_http_methods(["GET"])
def feature_history_page(
    request: HttpRequest, code: str, slug: str, feature_id: int
) -> HttpResponse:
    """Every version of one feature: who, when, what changed, which import; restore buttons."""
    municipality, dataset, layer = _dataset(request, code, slug)
    versions = _versions(municipality, dataset, layer, feature_id)
    deleted = versions[-1].op == FeatureHistory.Op.DELETE
    editable = can_edit(request.user, municipality, dataset)
    rows = []
    for version in reversed(versions):
        rows.append(
            {
                "version": version,
                "when": when(version.changed_at),
                "what": op_label(version.op),
                # The state after it is kept (it is neither the latest nor a deletion).
                "restorable": version.after_entry_id is not None,
            }
        )
    return render(
        request,
        "geoapp/catalogue/feature_history.html",
        {
            "municipality": municipality,
            "dataset": dataset,
            "feature_id": feature_id,
            "label": _label(versions),
            "rows": rows,
            "deleted": deleted,
            "editable": editable,
            "last_entry": versions[-1].entry_id,
            "restore_url": _feature_url(
                "catalogue-feature-restore", municipality, dataset, feature_id
            ),
        },
    )


def _feature_url(name: str, municipality: Municipality, dataset: Dataset, feature_id: int) -> str:
    kwargs = {"code": municipality.code, "slug": dataset.slug, "feature_id": feature_id}
    return reverse(name, kwargs=kwargs)


def _restore(request: HttpRequest, municipality: Municipality, layer: str, feature_id: int, form):
    """Restore the feature as the form asks; the refusal's text, or "" when it was restored."""
    try:
        result = restore_feature(
            municipality=municipality,
            layer=layer,
            feature_id=feature_id,
            version=form.cleaned_data["version"],
            user=request.user,
            expected_last=form.cleaned_data["last"],
        )
    except HistoryError as refused:
        return refusal_text(refused)
    messages.success(
        request,
        _("Feature %(id)s restored as at version %(version)s.")
        % {"id": feature_id, "version": result.version},
    )
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def feature_restore_page(
    request: HttpRequest, code: str, slug: str, feature_id: int
) -> HttpResponse:
    """GET: what a restore would do; POST: restore (the latest state, or `version`)."""
    municipality, dataset, layer = _dataset(request, code, slug)
    if not can_edit(request.user, municipality, dataset):
        raise PermissionDenied("restoring needs the right to edit this layer")
    versions = _versions(municipality, dataset, layer, feature_id)
    history_url = _feature_url("catalogue-feature-history", municipality, dataset, feature_id)
    form = RestoreForm.from_request(request)
    error = ""
    if request.method == "POST":
        error = _restore(request, municipality, layer, feature_id, form)
        if not error:
            return redirect(history_url)
    return render(
        request,
        "geoapp/catalogue/feature_restore.html",
        {
            "municipality": municipality,
            "dataset": dataset,
            "feature_id": feature_id,
            "label": _label(versions),
            "deleted": versions[-1].op == FeatureHistory.Op.DELETE,
            "version": form.cleaned_data["version"],
            "error": error,
            "history_url": history_url,
        },
        status=409 if error else 200,
    )


#: `_rollback`'s answer when the dataset went with its import (the page goes to the catalogue).
ROLLED_BACK_AND_REMOVED = "removed"


def _rollback(request: HttpRequest, municipality: Municipality, run: ImportRun, *, force: bool):
    """Roll the import back; the refusal's text, "" when rolled back, or ROLLED_BACK_AND_REMOVED."""
    try:
        result = rollback_import(
            municipality=municipality, import_id=run.pk, user=request.user, force=force
        )
    except HistoryError as refused:
        return refusal_text(refused)
    counts = {"removed": result.removed, "restored": result.restored}
    messages.success(
        request,
        _(
            "Import %(id)s rolled back: %(removed)s features removed, %(restored)s "
            "put back as they were, %(recreated)s recreated."
        )
        % {"id": run.pk, **counts, "recreated": result.recreated},
    )
    if result.dataset_removed:
        messages.success(request, _("The import had created the dataset: it was removed too."))
        return ROLLED_BACK_AND_REMOVED
    return ""


def _rollback_preview(municipality: Municipality, run: ImportRun):
    """What rolling back would do (None once rolled back), and why it would be refused."""
    if run.rolled_back_at is not None:
        return None, ""
    try:
        preview = rollback_import(
            municipality=municipality, import_id=run.pk, dry_run=True, force=True
        )
    except HistoryError as refused:
        return None, refusal_text(refused)
    return preview, ""


@login_required
@require_http_methods(["GET", "POST"])
def import_rollback_page(
    request: HttpRequest, code: str, slug: str, import_id: int
) -> HttpResponse:
    """GET: what rolling back the import would do (a dry run); POST: roll it back."""
    municipality, dataset = _any_dataset(request, code, slug)
    if not can_edit(request.user, municipality, dataset):
        raise PermissionDenied("rolling back needs the right to edit this layer")
    run = dataset_import(municipality=municipality, dataset=dataset, import_id=import_id)
    if run is None:
        raise Http404("No such import of this dataset")
    dataset_url = reverse(
        "catalogue-dataset", kwargs={"code": municipality.code, "slug": dataset.slug}
    )
    error = ""
    if request.method == "POST":
        form = RollbackForm(request.POST)
        form.is_valid()  # a flag cannot fail
        error = _rollback(request, municipality, run, force=form.cleaned_data["force"])
        if error == ROLLED_BACK_AND_REMOVED:
            return redirect(reverse("catalogue", kwargs={"code": municipality.code}))
        if not error:
            return redirect(dataset_url + "#history-title")
    preview, refusal = _rollback_preview(municipality, run)
    error = error or refusal
    return render(
        request,
        "geoapp/catalogue/import_rollback.html",
        {
            "municipality": municipality,
            "dataset": dataset,
            "run": run,
            "started": when(run.started_at),
            "rolled_back": when(run.rolled_back_at) if run.rolled_back_at else "",
            "preview": preview,
            "error": error,
            "dataset_url": dataset_url,
        },
        status=409 if error else 200,
    )


def dataset_history_context(request: HttpRequest, municipality: Municipality, dataset: Dataset):
    """The dataset page's history section: its imports, and its features' recent changes.

    Every dataset has imports to show and undo ("other dataset" files too); only layers'
    features have a change history (`features_tracked` is False for files).
    """
    features_tracked = dataset.kind in KIND_LAYERS
    changes = dataset_history(dataset=dataset) if features_tracked else []
    for entry in changes:
        entry.when = when(entry.changed_at)
        entry.what = op_label(entry.op)
    imports = dataset_imports(dataset=dataset)
    for run in imports:
        run.when = when(run.started_at)
    return {
        "history": changes,
        "imports": imports,
        "history_editable": can_edit(request.user, municipality, dataset),
        "features_tracked": features_tracked,
    }


def deleted_datasets_context(request: HttpRequest, municipality: Municipality) -> dict:
    """The catalogue's history of datasets that are gone, for those who manage datasets.

    Case datasets are left out for whoever may not read cases exactly, as their entries are.
    """
    access = dataset_access(request.user, municipality)
    if not access.private:
        return {}
    hidden = () if access.exact_cases else CASE_KINDS
    events = dataset_events(municipality=municipality, hidden_kinds=tuple(hidden))
    for event in events:
        event.when = when(event.at)
    return {"deleted_datasets": events}
