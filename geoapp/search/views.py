"""The search page and the header box's suggestions, for the members of a municipality.

Both read `q` (at most `MAX_TEXT_CHARS` characters, no control characters; else 400 with the
reason) and list landmarks, roads, subdistricts, the datasets the user may read and, for roles
that see case locations (VIEW_CASES_EXACT), cases by case code or subdistrict. Features link to
the map, which opens at the feature with its popup (`map-focus.js`); datasets to the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geoapp.templatetags.thaidate import thai_date
from geoapp.web import permissions
from geoapp.web.inputs import InputError, search_text_input
from geoapp.web.permissions import Action
from layers.models import Dataset, Landmark, Municipality, Road
from layers.search.selectors import MAX_TEXT_CHARS, MIN_TEXT_CHARS, SearchHit, search_hits

#: Hits of each kind on the results page, and suggestions under the header box in all.
PAGE_HITS_PER_KIND = 20
SUGGESTIONS = 8
#: The map layer (as `map-focus.js` names it) that draws each kind of feature.
#: Thai as characters, not \u escapes: a third of the size, and readable in a capture.
_THAI_AS_IS = {"ensure_ascii": False}
MAP_LAYERS = {
    "landmark": "landmarks",
    "road": "roads",
    "subdistrict": "subdistricts",
    "case": "cases",
}


@dataclass(frozen=True)
class SearchResult:
    """One hit as shown: its kind, name in the page's language, other name, detail and link."""

    kind: str
    kind_label: str
    label: str
    other_label: str
    detail: str
    url: str

    def as_json(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "kind_label": self.kind_label,
            "label": self.label,
            "other_label": self.other_label,
            "detail": self.detail,
            "url": self.url,
        }


def _kind_labels() -> dict[str, str]:
    return {
        "landmark": _("Landmark"),
        "road": _("Road"),
        "subdistrict": _("Subdistrict"),
        "dataset": _("Dataset"),
        "case": _("Dengue case"),
    }


def _detail(hit: SearchHit) -> str:
    if hit.kind == "landmark":
        return str(Landmark.Category(hit.detail).label) if hit.detail in Landmark.Category else ""
    if hit.kind == "road":
        return str(Road.RoadClass(hit.detail).label) if hit.detail in Road.RoadClass else ""
    if hit.kind == "dataset":
        return str(Dataset.Kind(hit.detail).label) if hit.detail in Dataset.Kind else ""
    if hit.kind == "case":
        onset = _("onset %(date)s") % {"date": thai_date(hit.onset_date)}
        return f"{hit.detail} · {onset}" if hit.detail else onset
    return ""


def _url(municipality: Municipality, hit: SearchHit) -> str:
    if hit.kind == "dataset":
        return reverse("catalogue-dataset", kwargs={"code": municipality.code, "slug": hit.key})
    query = urlencode({"layer": MAP_LAYERS[hit.kind], "feature": hit.key})
    return reverse("municipality-map", kwargs={"code": municipality.code}) + "?" + query


def _result(municipality: Municipality, hit: SearchHit, kind_labels: dict[str, str]):
    english = translation.get_language() == "en" and hit.name_en
    label, other = (hit.name_en, hit.name_th) if english else (hit.name_th, hit.name_en)
    return SearchResult(
        kind=hit.kind,
        kind_label=kind_labels[hit.kind],
        label=label or other,
        other_label=other if label else "",
        detail=_detail(hit),
        url=_url(municipality, hit),
    )


def _search(request: HttpRequest, municipality: Municipality, text: str, per_kind: int):
    """The user's hits: datasets as the catalogue allows, cases only with exact-location rights."""
    hits = search_hits(
        municipality=municipality,
        text=text,
        access=permissions.dataset_access(request.user, municipality),
        include_cases=permissions.can(request.user, municipality, Action.VIEW_CASES_EXACT),
        limit=per_kind,
    )
    kind_labels = _kind_labels()
    return [_result(municipality, hit, kind_labels) for hit in hits]


@login_required
@require_GET
def search_page(request: HttpRequest, code: str) -> HttpResponse:
    """Everything matching `q` in the municipality, best first (works without JavaScript)."""
    municipality = permissions.municipality_requiring(request.user, code, Action.VIEW_LAYERS)
    context: dict[str, object] = {
        "municipality": municipality,
        "q": request.GET.get("q", "")[:MAX_TEXT_CHARS],
        "min_chars": MIN_TEXT_CHARS,
    }
    try:
        text = search_text_input(request.GET.get("q"), "q", max_chars=MAX_TEXT_CHARS)
    except InputError as error:
        context["error"] = str(error)
        return render(request, "geoapp/search/results.html", context, status=400)
    context |= {
        "q": text,
        "too_short": 0 < len(text) < MIN_TEXT_CHARS,
        "results": _search(request, municipality, text, PAGE_HITS_PER_KIND) if text else [],
    }
    return render(request, "geoapp/search/results.html", context)


@login_required
@require_GET
def search_suggestions(request: HttpRequest, code: str) -> JsonResponse:
    """The header box's suggestions for `q`, best first, as JSON."""
    municipality = permissions.municipality_requiring(request.user, code, Action.VIEW_LAYERS)
    try:
        text = search_text_input(request.GET.get("q"), "q", max_chars=MAX_TEXT_CHARS)
    except InputError as error:
        return JsonResponse({"error": str(error)}, status=400, json_dumps_params=_THAI_AS_IS)
    results = _search(request, municipality, text, SUGGESTIONS)[:SUGGESTIONS]
    return JsonResponse(
        {"q": text, "results": [result.as_json() for result in results]},
        json_dumps_params=_THAI_AS_IS,
    )
