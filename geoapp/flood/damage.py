"""The flood damage page (issue 21): damage per building of the chosen hazard, and its model.

Every member reads the page; disaster officers, editors and administrators (`EDIT_FLOOD`) save
new curves and values per m2 (each save is a new version; the history stays). The hazard comes
from the same query as the dashboard's.
"""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from analysis.flood.damage import JRC_DEPTHS_M
from geoapp.flood import views
from geoapp.flood.forms import DamageCurveForm, ReplacementValueForm
from geoapp.web.inputs import InputError, choice_input, query_text
from geoapp.web.permissions import Action, can, municipality_requiring
from geoapp.web.responses import csv_response
from layers.flood import selectors as flood
from layers.flood.services import damage_curve_save, replacement_value_save
from layers.models import DamageBuildingType, Municipality

TOP_BUILDINGS = 20


def _type_labels() -> dict[str, str]:
    return {k: str(v) for k, v in DamageBuildingType.choices}


def _baht(value: float) -> str:
    return views._fmt(value, 0)


def _type_table(summary: dict) -> views.Table:
    labels = _type_labels()
    rows = [
        [
            labels[kind],
            f"{row['buildings_damaged']:,} / {row['buildings']:,}",
            _baht(row["damage_baht"]),
        ]
        for kind, row in summary["by_type"].items()
    ]
    footer = [
        _("Total"),
        f"{summary['buildings_damaged']:,} / {summary['buildings']:,}",
        _baht(summary["total_damage_baht"]),
    ]
    return views.Table(
        [_("Building type"), _("Buildings damaged"), _("Damage (baht)")], rows, footer
    )


def _subdistrict_table(situation: flood.FloodSituation, summary: dict) -> views.Table:
    labels = _type_labels()
    names = views._subdistrict_names(situation.subdistricts)
    by_area = summary.get("by_area", {})
    codes = [str(c) for c in situation.subdistricts["code"]]
    codes += sorted(set(by_area) - set(codes))
    rows = []
    for code in codes:
        area = by_area.get(code)
        if area is None:
            rows.append([names.get(code, code), "0 / 0", *(["0"] * len(labels)), "0"])
            continue
        rows.append(
            [
                names.get(code, code),
                f"{area['buildings_damaged']:,} / {area['buildings']:,}",
                *(_baht(area["by_type"][kind]["damage_baht"]) for kind in labels),
                _baht(area["total_damage_baht"]),
            ]
        )
    footer = [
        _("Whole municipality"),
        f"{summary['buildings_damaged']:,} / {summary['buildings']:,}",
        *(_baht(summary["by_type"][kind]["damage_baht"]) for kind in labels),
        _baht(summary["total_damage_baht"]),
    ]
    header = [_("Subdistrict"), _("Buildings damaged"), *labels.values(), _("Damage (baht)")]
    return views.Table(header, rows, footer)


def _building_rows(situation: flood.FloodSituation, damage: flood.FloodDamage) -> list[list]:
    """Damaged buildings, most damage first: what the table and the CSV show."""
    frame = damage.buildings
    frame = frame[frame["damaged"].to_numpy(dtype=bool)].sort_values(
        ["damage_baht", "id"], ascending=[False, True], kind="stable"
    )
    names = views._subdistrict_names(situation.subdistricts)
    labels = _type_labels()
    return [
        [
            int(row["id"]),
            row.get("name_th") or "",
            labels[row["damage_type"]],
            names.get(str(row.get("area") or ""), ""),
            int(row["floors"]),
            round(float(row["footprint_m2"]), 1),
            None if math.isnan(row["max_depth_m"]) else round(float(row["max_depth_m"]), 2),
            _("class") if row["depth_from"] == "class" else _("depth"),
            round(float(row["damage_fraction"]), 4),
            round(float(row["damage_baht"]), 2),
        ]
        for _i, row in frame.iterrows()
    ]


def _building_header() -> list[str]:
    return [
        _("Building no."),
        _("Name"),
        _("Building type"),
        _("Subdistrict"),
        _("Floors"),
        _("Footprint (m²)"),
        _("Depth (m)"),
        _("Depth from"),
        _("Damage fraction"),
        _("Damage (baht)"),
    ]


def _curve_rows(settings: flood.DamageSettings) -> list[dict[str, object]]:
    labels = _type_labels()
    return [
        {
            "type": t.building_type,
            "label": labels[t.building_type],
            "fractions": [f"{float(t.curve.fraction(d)):.3f}" for d in JRC_DEPTHS_M],
            "points": ", ".join(
                f"{d:g}:{f:g}" for d, f in zip(t.curve.depths_m, t.curve.fractions, strict=True)
            ),
            "curve_source": t.curve_source,
            "curve_default": t.curve_is_default,
            "borrowed_from": labels.get(t.borrowed_from, ""),
            "value": _baht(t.baht_per_m2),
            "value_source": t.value_source,
            "value_default": t.value_is_default,
            "saved_by": t.curve_saved_by or t.value_saved_by,
        }
        for t in settings.types
    ]


def _headline(damage: flood.FloodDamage) -> dict[str, str]:
    summary = damage.summary
    frame = damage.buildings
    from_class = (
        int(((frame["depth_from"] == "class") & frame["damaged"]).sum()) if len(frame) else 0
    )
    return {
        "total_baht": _baht(summary["total_damage_baht"]),
        "damaged": f"{summary['buildings_damaged']:,}",
        "buildings": f"{summary['buildings']:,}",
        "from_class": f"{from_class:,}",
        "has_class_depths": "yes" if from_class else "",
    }


def _save(request: HttpRequest, municipality: Municipality) -> tuple[bool, dict[str, object]]:
    """Save the posted curve or value; the bound forms come back when something is wrong."""
    what = request.POST.get("what")
    form: DamageCurveForm | ReplacementValueForm
    if what == "curve":
        form = DamageCurveForm(request.POST)
    elif what == "value":
        form = ReplacementValueForm(request.POST)
    else:
        raise InputError("what", _("Send what=curve or what=value."))
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if what == "curve":
                depths, fractions = data.pop("points")
                damage_curve_save(
                    municipality=municipality,
                    user=request.user,
                    depths_m=depths,
                    fractions=fractions,
                    **data,
                )
            else:
                replacement_value_save(municipality=municipality, user=request.user, **data)
            return True, {}
        except ValidationError as error:
            form.add_error(None, "; ".join(error.messages))
    return False, {f"{what}_form": form}


def _page_context(
    request: HttpRequest, municipality: Municipality
) -> tuple[dict[str, object], flood.FloodSituation | None, flood.FloodDamage | None]:
    """The hazard, its situation and the damage under the settings in force."""
    settings = flood.damage_settings_current(municipality=municipality)
    context: dict[str, object] = {
        "curves": _curve_rows(settings),
        "curve_depths": [f"{d:g}" for d in JRC_DEPTHS_M],
        "history": [
            {**c.__dict__, "saved_at": timezone.localtime(c.saved_at)}
            for c in flood.damage_settings_history(municipality=municipality)
        ],
    }
    inputs = views._hazard_inputs(municipality)
    context["has_hazard"] = bool(inputs.kinds)
    if not inputs.kinds:
        return context, None, None
    profile = flood.needs_profile_current(municipality=municipality)
    hazard = views._hazard_param(request, inputs)
    situation = views._situation(municipality, hazard, profile)
    damage = flood.flood_damage(situation=situation, settings=settings)
    context.update(views._hazard_context(inputs, hazard, situation))
    return context, situation, damage


@login_required
def flood_damage(request: HttpRequest, code: str) -> HttpResponse:
    """Damage per building of one hazard: totals by type and subdistrict, the model in force."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_FLOOD)
    can_edit = can(request.user, municipality, Action.EDIT_FLOOD)
    forms: dict[str, object] = {}
    try:
        if request.method == "POST":
            if not can_edit:
                raise PermissionDenied(f"{Action.EDIT_FLOOD} is not allowed")
            saved, forms = _save(request, municipality)
            if saved:
                messages.success(request, _("The damage model was saved."))
                back = reverse("flood-damage", kwargs={"code": code})
                query = request.GET.urlencode()
                return redirect(f"{back}?{query}" if query else back)
        export = choice_input(
            query_text(request.GET, "format"), "format", ("html", "csv"), default="html"
        )
        context, situation, damage = _page_context(request, municipality)
    except InputError as error:
        return views._bad_request(request, municipality, str(error))
    if export == "csv" and damage is not None:
        return csv_response(
            _building_header(),
            _building_rows(situation, damage),
            f"flood-damage-{municipality.code}.csv",
            content_type="text/csv",
        )
    if damage is not None:
        context.update(
            {
                "headline": _headline(damage),
                "type_table": _type_table(damage.summary),
                "subdistrict_table": _subdistrict_table(situation, damage.summary),
                "building_header": _building_header(),
                "buildings": _building_rows(situation, damage)[:TOP_BUILDINGS],
                "query": views._query(**situation.hazard.query()),
            }
        )
    if can_edit:
        forms.setdefault("curve_form", DamageCurveForm())
        forms.setdefault("value_form", ReplacementValueForm())
    context.update(
        {
            "municipality": municipality,
            "can_edit": can_edit,
            **forms,
            **views._nav(request, municipality),
        }
    )
    return render(request, "geoapp/flood/damage.html", context)
