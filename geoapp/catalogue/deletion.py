"""Deleting a dataset from the catalogue: a confirmation page (GET), then the deletion (POST).

Needs `MANAGE_DATASETS` and a dataset the user may read (else 404). The deletion removes the
features (each recorded in the feature history) and leaves a line in the catalogue's history.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from geoapp.web import permissions
from geoapp.web.permissions import Action, dataset_access
from layers.catalogue.selectors import VECTOR_KINDS, dataset_feature_count, dataset_get
from layers.catalogue.services import dataset_delete


@login_required
@require_http_methods(["GET", "POST"])
def dataset_delete_page(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    """GET: what deleting the dataset removes, and a button; POST: delete it."""
    municipality = permissions.municipality_requiring(request.user, code, Action.MANAGE_DATASETS)
    dataset = dataset_get(
        municipality=municipality, slug=slug, access=dataset_access(request.user, municipality)
    )
    if dataset is None:
        raise Http404("No such dataset")
    if request.method == "POST":
        event = dataset_delete(municipality=municipality, dataset=dataset, user=request.user)
        messages.success(
            request,
            _("Dataset “%(title)s” deleted with its %(n)s features.")
            % {"title": event.title, "n": event.features},
        )
        return redirect(reverse("catalogue", kwargs={"code": code}) + "#deleted-title")
    features = dataset_feature_count(dataset=dataset) if dataset.kind in VECTOR_KINDS else None
    return render(
        request,
        "geoapp/catalogue/dataset_delete.html",
        {"municipality": municipality, "dataset": dataset, "features": features},
    )
