"""The compensation register's pages (issue 21), under /m/<code>/flood/relief/.

Disaster officers and administrators file claims and record field checks; the relief committee
(`relief_approver`) approves or rejects; finance records payments; administrators enter the
relief rates with their document reference. Who may do what is decided in
`geoapp.web.permissions`; the rules are checked in `layers.relief.services`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from geoapp.flood import relief_forms as forms
from geoapp.flood import views
from geoapp.flood.relief_exports import register_file
from geoapp.templatetags.thaiformat import date_text
from geoapp.web.inputs import InputError, choice_input, integer_input, query_text
from geoapp.web.permissions import Action, actions_of, municipality_requiring
from geoapp.web.photos import CleanPhoto, photo_path
from layers.flood import selectors as flood
from layers.models import Municipality
from layers.relief import selectors, services
from layers.relief.models import ClaimStatus, ReliefClaim, ReliefItem

PER_PAGE = 50
EXPORTS = ("html", "csv", "xlsx")


@dataclass(frozen=True)
class Register:
    """The municipality, its events, the chosen event and what the user may do here."""

    municipality: Municipality
    events: list[flood.FloodEvent]
    event: str
    allowed: frozenset[Action]

    def context(self) -> dict[str, object]:
        return {
            "municipality": self.municipality,
            "events": self.events,
            "event": self.event,
            "event_query": views._query(event=self.event),
            "can_prepare": Action.PREPARE_RELIEF in self.allowed,
            "can_approve": Action.APPROVE_RELIEF in self.allowed,
            "can_pay": Action.PAY_RELIEF in self.allowed,
            "can_manage_rates": Action.MANAGE_RELIEF_RATES in self.allowed,
            "can_edit_flood": Action.EDIT_FLOOD in self.allowed,
            "can_view_relief": True,
        }


def _register(request: HttpRequest, code: str, action: Action = Action.VIEW_RELIEF) -> Register:
    """The register for the user, if allowed `action` (404 elsewhere, 403 without the role)."""
    municipality = municipality_requiring(request.user, code, action)
    allowed = actions_of(request.user, municipality)
    if Action.VIEW_RELIEF not in allowed:
        raise PermissionDenied(f"{Action.VIEW_RELIEF} is not allowed")
    events = flood.flood_event_list(municipality=municipality)
    event = views._event_param(request, events) if events else ""
    return Register(municipality, events, event, allowed)


def _require(register: Register, action: Action) -> None:
    if action not in register.allowed:
        raise PermissionDenied(f"{action} is not allowed")


def _bad(request: HttpRequest, code: str, error: InputError) -> HttpResponse:
    municipality = municipality_requiring(request.user, code, Action.VIEW_RELIEF)
    return views._bad_request(request, municipality, str(error))


def _page(request, template: str, register: Register, status: int = 200, **context):
    return render(
        request,
        f"geoapp/flood/relief/{template}",
        {**register.context(), **context},
        status=status,
    )


# --- Rates ---------------------------------------------------------------------------------


@login_required
def relief_rates(request: HttpRequest, code: str) -> HttpResponse:
    """The relief rates in force for the event and their history; administrators add rates."""
    try:
        register = _register(request, code)
    except InputError as error:
        return _bad(request, code, error)
    form = forms.RateForm()
    status = 200
    if request.method == "POST":
        _require(register, Action.MANAGE_RELIEF_RATES)
        form = forms.RateForm(request.POST)
        if form.is_valid() and _saved(form, lambda: _rate_save(register, request, form)):
            messages.success(request, _("The relief rate was saved."))
            return redirect(f"{request.path}?{register.context()['event_query']}")
        status = 400
    rates = selectors.rates_in_force(municipality=register.municipality, event=register.event)
    return _page(
        request,
        "rates.html",
        register,
        status,
        form=form,
        rates=[rates[item] for item in rates],
        missing=[label for value, label in ReliefItem.choices if value not in rates],
        any_example=any(rate.is_example for rate in rates.values()),
        history=selectors.rate_history(municipality=register.municipality, event=register.event),
    )


def _rate_save(register: Register, request: HttpRequest, form) -> None:
    services.rate_save(
        municipality=register.municipality,
        user=request.user,
        event=register.event,
        **form.cleaned_data,
    )


def _saved(form, save) -> bool:
    """Run the service; its refusal becomes the form's error (nothing was saved)."""
    try:
        save()
    except ValidationError as error:
        form.add_error(None, "; ".join(error.messages))
        return False
    return True


# --- The list and its exports ---------------------------------------------------------------


def _list_filters(request: HttpRequest, register: Register) -> dict[str, str]:
    codes = selectors.subdistrict_names(municipality=register.municipality)
    return {
        "status": choice_input(
            query_text(request.GET, "status"), "status", ClaimStatus.values, default=""
        ),
        "subdistrict": choice_input(
            query_text(request.GET, "subdistrict"), "subdistrict", list(codes), default=""
        ),
        "search": (query_text(request.GET, "q") or "")[:40],
    }


@login_required
def relief_claims(request: HttpRequest, code: str) -> HttpResponse:
    """The event's claims: search, filters, pages; CSV and Excel for the committee."""
    try:
        register = _register(request, code)
        filters = _list_filters(request, register)
        export = choice_input(query_text(request.GET, "format"), "format", EXPORTS, default="html")
        page_number = integer_input(
            query_text(request.GET, "page"), "page", default=1, low=1, high=100_000
        )
    except InputError as error:
        return _bad(request, code, error)
    claims = selectors.claim_list(
        municipality=register.municipality, event=register.event, **filters
    )
    if export != "html":
        return _register_export(request, register, list(claims), export)
    page = Paginator(claims, PER_PAGE).get_page(page_number)
    names = selectors.subdistrict_names(municipality=register.municipality)
    query = views._query(event=register.event, q=filters["search"], **_without_search(filters))
    return _page(
        request,
        "claims.html",
        register,
        page=page,
        rows=[_claim_row(c, names) for c in page.object_list],
        filters=filters,
        statuses=ClaimStatus.choices,
        subdistricts=list(names.items()),
        query=query,
    )


def _without_search(filters: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in filters.items() if k != "search"}


def _claim_row(claim: ReliefClaim, names: dict[str, str]) -> dict[str, object]:
    return {
        "claim": claim,
        "subdistrict": names.get(claim.subdistrict_code, claim.subdistrict_code),
        "estimate": _baht(claim.estimate_total),
        "surveyed": _baht(claim.surveyed_total),
        "approved": _baht(claim.approved_total),
        "paid": _baht(claim.paid_total),
    }


def _baht(value: Decimal | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


def export_header() -> list[str]:
    """The columns of the register's CSV, Excel and printed list."""
    return [
        _("Claim no."),
        _("Event"),
        _("Status"),
        _("Subdistrict"),
        _("Building no."),
        _("Claimant"),
        _("Items"),
        _("Estimate (baht)"),
        _("Surveyed (baht)"),
        _("Approved (baht)"),
        _("Paid (baht)"),
        _("Committee meeting date"),
        _("Possible duplicate"),
    ]


def export_rows(request: HttpRequest, register: Register, claims: list[ReliefClaim]) -> list:
    """One row per claim, with the claimant's name (each claim's read logged)."""
    names = services.claimant_names_read(
        municipality=register.municipality, user=request.user, claim_ids=[c.pk for c in claims]
    )
    subdistricts = selectors.subdistrict_names(municipality=register.municipality)
    items = selectors.claim_item_labels(claim_ids=[c.pk for c in claims])
    return [
        [
            c.pk,
            c.event,
            c.get_status_display(),
            subdistricts.get(c.subdistrict_code, c.subdistrict_code),
            c.building_id,
            names.get(c.pk, ""),
            items.get(c.pk, ""),
            float(c.estimate_total),
            float(c.surveyed_total),
            float(c.approved_total),
            float(c.paid_total),
            date_text(c.meeting_date),  # a list for people: the Buddhist era in Thai
            _("yes") if c.is_duplicate else _("no"),
        ]
        for c in claims
    ]


def _register_export(request, register: Register, claims, kind: str) -> HttpResponse:
    return register_file(
        kind,
        export_header(),
        export_rows(request, register, claims),
        f"relief-{register.municipality.code}",
        title=_("Relief register"),
    )


@login_required
def relief_print(request: HttpRequest, code: str) -> HttpResponse:
    """The list as a printable Thai A4 page with page numbers, for the committee."""
    try:
        register = _register(request, code)
        filters = _list_filters(request, register)
    except InputError as error:
        return _bad(request, code, error)
    claims = list(
        selectors.claim_list(municipality=register.municipality, event=register.event, **filters)
    )
    return _page(
        request,
        "print.html",
        register,
        header=export_header(),
        rows=export_rows(request, register, claims),
        printed_on=timezone.localdate(),
        status_name=dict(ClaimStatus.choices).get(filters["status"], ""),
    )


@login_required
def relief_summary(request: HttpRequest, code: str) -> HttpResponse:
    """Claims and amounts per subdistrict for the event, with the whole municipality's total."""
    try:
        register = _register(request, code)
    except InputError as error:
        return _bad(request, code, error)
    rows = selectors.claim_summary_by_subdistrict(
        municipality=register.municipality, event=register.event
    )
    total = {
        "claims": sum(r.claims for r in rows),
        "by_status": {s: sum(r.by_status[s] for r in rows) for s in ClaimStatus.values},
        **{
            key: _baht(sum((getattr(r, key) for r in rows), Decimal(0)))
            for key in ("estimate_baht", "surveyed_baht", "approved_baht", "paid_baht")
        },
    }
    return _page(
        request,
        "summary.html",
        register,
        statuses=ClaimStatus.choices,
        rows=[
            {
                "row": r,
                "counts": [r.by_status[s] for s in ClaimStatus.values],
                "amounts": [
                    _baht(r.estimate_baht),
                    _baht(r.surveyed_baht),
                    _baht(r.approved_baht),
                    _baht(r.paid_baht),
                ],
            }
            for r in rows
        ],
        total=total,
        total_counts=[total["by_status"][s] for s in ClaimStatus.values],
    )


# --- Filing --------------------------------------------------------------------------------


@login_required
def relief_claim_new(request: HttpRequest, code: str) -> HttpResponse:
    """File a household's claim for the event (disaster officers and administrators)."""
    try:
        register = _register(request, code, Action.PREPARE_RELIEF)
    except InputError as error:
        return _bad(request, code, error)
    if not register.events:
        return _page(request, "claim_new.html", register, form=None)
    status = 200
    if request.method == "POST":
        form = forms.ClaimForm(request.POST)
        if form.is_valid():
            claim = _filed(register, request, form)
            if claim is not None:
                messages.success(request, _("The claim was filed."))
                return redirect("flood-relief-claim", code=code, claim_id=claim.pk)
        status = 400
    else:
        form = forms.ClaimForm(initial={"building": request.GET.get("building", "")[:20]})
    return _page(request, "claim_new.html", register, status, form=form)


def _filed(register: Register, request: HttpRequest, form) -> ReliefClaim | None:
    data = form.cleaned_data
    try:
        return services.claim_file(
            municipality=register.municipality,
            user=request.user,
            event=register.event,
            building_id=data["building"],
            items=form.items(),
            claimant=services.Claimant(
                full_name=data["full_name"],
                national_id=data["national_id"],
                phone=data["phone"],
                address=data["address"],
            ),
        )
    except ValidationError as error:
        form.add_error(None, "; ".join(error.messages))
        return None


# --- One claim -----------------------------------------------------------------------------

#: The steps a claim page posts (`step`), each with the action it needs (STEP_ACTIONS).
STEPS = ("survey", "approve", "reject", "pay", "photo")


def _claim_of(register: Register, claim_id: int) -> ReliefClaim:
    claim = selectors.claim_get(municipality=register.municipality, claim_id=claim_id)
    if claim is None:
        raise Http404("No such claim")
    return claim


def _item_choices(claim: ReliefClaim) -> list[tuple[str, str]]:
    return [(i.item, i.get_item_display()) for i in claim.items.all()]


def _step_forms(claim: ReliefClaim, data=None, files=None, step: str = "") -> dict[str, object]:
    """Unbound forms for every step, the posted one bound to the request's data."""
    items = _item_choices(claim)

    def bound(name: str) -> dict:
        return {"data": data, "files": files} if name == step else {}

    return {
        "survey": forms.SurveyForm(items=items, **bound("survey")),
        "approve": forms.ApproveForm(
            items=items,
            initial={f"amount_{i.item}": i.surveyed_baht for i in claim.items.all()},
            **bound("approve"),
        ),
        "reject": forms.RejectForm(**bound("reject")),
        "pay": forms.PaymentForm(initial={"paid_on": timezone.localdate()}, **bound("pay")),
        "photo": forms.PhotoForm(**bound("photo")),
    }


STEP_ACTIONS = {
    "survey": Action.PREPARE_RELIEF,
    "photo": Action.PREPARE_RELIEF,
    "approve": Action.APPROVE_RELIEF,
    "reject": Action.APPROVE_RELIEF,
    "pay": Action.PAY_RELIEF,
}


def _take_step(step: str, form, claim: ReliefClaim, request: HttpRequest) -> None:
    """Call the service of the step with the form's values (ValidationError: nothing saved)."""
    data = form.cleaned_data
    user = request.user
    if step == "survey":
        services.claim_survey(claim=claim, user=user, surveyed=form.amounts(), note=data["note"])
    elif step == "approve":
        services.claim_approve(
            claim=claim, user=user, meeting_date=data["meeting_date"], approved=form.amounts()
        )
    elif step == "reject":
        services.claim_reject(claim=claim, user=user, reason=data["reason"])
    elif step == "pay":
        services.payment_record(claim=claim, user=user, **data)
    else:
        _photo_add(claim, user, data["photo"])


def _photo_add(claim: ReliefClaim, user, photo: CleanPhoto) -> None:
    """Store the re-encoded photo, then record it; a refused step leaves no file behind."""
    relative = Path("relief") / str(int(claim.municipality_id)) / f"{secrets.token_hex(16)}.jpg"
    path = photo_path(relative.as_posix())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(photo.jpeg)
    try:
        services.claim_photo_add(
            claim=claim,
            user=user,
            stored_name=relative.as_posix(),
            width=photo.width,
            height=photo.height,
        )
    except ValidationError:
        path.unlink(missing_ok=True)
        raise


@login_required
def relief_claim(request: HttpRequest, code: str, claim_id: int) -> HttpResponse:
    """One claim: its items and amounts, steps, photos, payments, and the next step's form."""
    try:
        register = _register(request, code)
        step = ""
        if request.method == "POST":
            step = choice_input(request.POST.get("step"), "step", STEPS, default="")
    except InputError as error:
        return _bad(request, code, error)
    claim = _claim_of(register, claim_id)
    step_forms = _step_forms(claim, request.POST, request.FILES, step)
    status = 200
    if step:
        _require(register, STEP_ACTIONS[step])
        form = step_forms[step]
        if form.is_valid() and _saved(form, lambda: _take_step(step, form, claim, request)):
            messages.success(request, _("Saved."))
            return redirect("flood-relief-claim", code=code, claim_id=claim.pk)
        status = 400
    context = _claim_context(request, claim, step_forms)
    return _page(request, "claim.html", register, status, **context)


def _claim_context(request: HttpRequest, claim: ReliefClaim, step_forms) -> dict[str, object]:
    rates = selectors.rates_in_force(municipality=claim.municipality, event=claim.event)
    claimant = services.claim_personal_read(claim=claim, user=request.user)
    return {
        "claim": claim,
        "claimant": claimant,
        "items": [
            {
                "item": i,
                "estimate": _baht(i.estimate_baht),
                "surveyed": _baht(i.surveyed_baht),
                "approved": _baht(i.approved_baht),
                "rate": rates.get(i.item),
            }
            for i in claim.items.all()
        ],
        "totals": {
            "estimate": _baht(claim.estimate_total),
            "surveyed": _baht(claim.surveyed_total),
            "approved": _baht(claim.approved_total),
            "paid": _baht(claim.paid_total),
        },
        "steps": list(claim.steps.all()),
        "payments": list(claim.payments.all()),
        "photos": list(claim.photos.all()),
        "others": selectors.claims_of_same_building(claim=claim),
        "is_open": claim.status in (ClaimStatus.FILED, ClaimStatus.SURVEYED),
        "statuses": ClaimStatus,
        **{f"{name}_form": form for name, form in step_forms.items()},
    }


@login_required
def relief_photo(request: HttpRequest, code: str, claim_id: int, photo_id: int):
    """A field photo of a claim, for those who may read the register."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_RELIEF)
    photo = selectors.claim_photo_get(
        municipality=municipality, claim_id=claim_id, photo_id=photo_id
    )
    if photo is None:
        raise Http404("No such photo")
    try:
        handle = open(photo_path(photo.stored_name), "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError as error:
        raise Http404("No such photo") from error
    response = FileResponse(handle, content_type="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
