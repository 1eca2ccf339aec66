"""PDPA pages of a municipality: the access log of personal data, data subject requests.

The case pages (where personal data is read and corrected) are in `geoapp.dengue.cases`.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from geoapp.web.permissions import Action, municipality_requiring
from layers.pdpa.identifiers import identifier_normalise, national_id_check_digit_ok
from layers.pdpa.selectors import access_log
from layers.pdpa.services import person_erase, person_export
from layers.relief.selectors import claims_of_person
from layers.relief.services import claimant_export


@login_required
def personal_data_access_log(request: HttpRequest, code: str) -> HttpResponse:
    """Who read which case's personal data, when and why (for the municipality's administrators)."""
    municipality = municipality_requiring(request.user, code, Action.VIEW_ACCESS_LOG)
    return render(
        request,
        "geoapp/access_log.html",
        {"municipality": municipality, "entries": access_log(municipality_id=municipality.pk)},
    )


class DataSubjectForm(forms.Form):
    national_id = forms.CharField(label=_("National ID"), max_length=32, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    action = forms.ChoiceField(
        label=_("Request"),
        choices=[
            ("export", _("Export everything held about the person (right of access)")),
            ("anonymise", _("Erase the person, keep the case anonymised for statistics")),
            ("erase", _("Erase the person and the case")),
        ],
    )
    confirm = forms.BooleanField(
        label=_("I have checked the person's identity and the request"), required=True
    )

    def clean_national_id(self) -> str:
        """Thai or Arabic digits, with or without separators; 13 digits with a valid check digit."""
        digits = identifier_normalise(self.cleaned_data["national_id"])
        if not self.cleaned_data["national_id"].strip():
            return ""
        if len(digits) != 13:
            raise forms.ValidationError(
                _("A national ID has 13 digits; this one has %(count)d."),
                code="national_id_length",
                params={"count": len(digits)},
            )
        if not national_id_check_digit_ok(digits):
            raise forms.ValidationError(
                _(
                    "This national ID is not valid: its last digit does not match the check "
                    "digit. Please check the number on the ID card."
                ),
                code="national_id_checksum",
            )
        return digits

    def clean_phone(self) -> str:
        return identifier_normalise(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        # People are found by the normalised digits of either
        # (layers.pdpa.identifiers.identifier_digest): text without a digit names nobody.
        if "national_id" in cleaned and not (cleaned.get("national_id") or cleaned.get("phone")):
            raise forms.ValidationError(_("Give a national ID or a phone number."))
        return cleaned


@login_required
def data_subject_requests(request: HttpRequest, code: str) -> HttpResponse:
    """PDPA requests of a person: export all data held, erase or anonymise (administrators)."""
    municipality = municipality_requiring(request.user, code, Action.HANDLE_DATA_SUBJECT_REQUESTS)
    form = DataSubjectForm(request.POST or None)
    done = None
    kept_claims: list[int] = []
    if request.method == "POST" and form.is_valid():
        who = {
            "national_id": form.cleaned_data["national_id"],
            "phone": form.cleaned_data["phone"],
        }
        if form.cleaned_data["action"] == "export":
            data = person_export(municipality_id=municipality.pk, user=request.user, **who)
            data["relief_claims"] = claimant_export(
                municipality_id=municipality.pk, user=request.user, **who
            )
            response = HttpResponse(
                json.dumps(data, ensure_ascii=False, indent=2),
                content_type="application/json; charset=utf-8",
            )
            response["Content-Disposition"] = 'attachment; filename="pdpa-export.json"'
            return response
        keep = form.cleaned_data["action"] == "anonymise"
        done = person_erase(
            municipality_id=municipality.pk, user=request.user, keep_cases=keep, **who
        )
        # Relief claims are not erased here (`claims_of_person`): the officer is told which.
        kept_claims = claims_of_person(municipality_id=municipality.pk, **who)
    return render(
        request,
        "geoapp/data_subject_requests.html",
        {"municipality": municipality, "form": form, "done": done, "kept_claims": kept_claims},
    )
