"""Input of the dengue pages, parsed by Django forms."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geoapp.templatetags.thaidate import thai_date
from geoapp.web.inputs import InputError, date_input
from layers.dengue import selectors as dengue
from layers.dengue.services import CASE_STEPS, HOUSEHOLD_FIELDS, ROUND_REPORT_FIELDS
from layers.models import WGS84, DengueCase, Municipality, PersonalDataAccess, SprayRound
from layers.pdpa.identifiers import identifier_normalise, national_id_check_digit_ok

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The latest year `date_input` reads as Christian era (later: a Buddhist-era year).
LATEST_DATE = date(2399, 12, 31)


def round_value(number: int, planned: date) -> str:
    """A round as the form's choice value: its number and planned date."""
    return f"{number}:{planned.isoformat()}"


class BuddhistEraCheckedDateField(forms.DateField):
    """A date written YYYY-MM-DD; a Buddhist-era year or a date before 2000 is refused.

    The reasons are those of `geoapp.web.inputs.date_input`, as everywhere on the site; dates
    in the future are left to the services, which know what may lie ahead.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)

    def to_python(self, value):
        text = str(value).strip() if isinstance(value, str) else ""
        if not ISO_DATE.match(text):
            return super().to_python(value)
        try:
            return date_input(text, str(self.label), default=LATEST_DATE, latest=LATEST_DATE)
        except InputError as error:
            raise ValidationError(str(error), code="invalid") from None


class RoundReportFields(forms.Form):
    """The fields of the paper spray report (the rules are `spray_round_errors`)."""

    done_on = BuddhistEraCheckedDateField(label=gettext_lazy("Done on"))
    done_at = forms.TimeField(
        label=gettext_lazy("Time"),
        required=False,
        input_formats=["%H:%M"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    team = forms.CharField(label=gettext_lazy("Team"), max_length=100)
    method = forms.ChoiceField(
        label=gettext_lazy("Method"),
        required=False,
        choices=[("", "-"), *SprayRound.Method.choices],
    )
    chemical = forms.CharField(label=gettext_lazy("Chemical"), max_length=100, required=False)
    households_targeted = forms.IntegerField(
        label=gettext_lazy("Households targeted"), required=False
    )
    households_sprayed = forms.IntegerField(
        label=gettext_lazy("Households sprayed"), required=False
    )
    households_refused = forms.IntegerField(
        label=gettext_lazy("Households refused"), required=False
    )
    households_closed = forms.IntegerField(label=gettext_lazy("Households closed"), required=False)
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def report_args(self) -> dict:
        """The report fields as `layers.dengue.services` takes them (absent counts: 0)."""
        data = self.cleaned_data
        args = {field: data.get(field) for field in ROUND_REPORT_FIELDS}
        for field in HOUSEHOLD_FIELDS:
            args[field] = 0 if args[field] is None else args[field]
        return args

    def add_model_errors(self, error: ValidationError) -> None:
        """Show a refusal of the service next to its field (or above the form)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for field, errors in error.message_dict.items():
            self.add_error(field if field in self.fields else None, errors)


class SprayRoundForm(RoundReportFields):
    """A round recorded as done by the team leader.

    `rounds` are the zone's rounds a team may record; `zone_open=False` says the zone key names
    no zone open on the plan's date (the form is then refused with that reason).
    """

    zone_key = forms.SlugField(max_length=40, widget=forms.HiddenInput)
    round = forms.ChoiceField(label=gettext_lazy("Round"))

    field_order = ["zone_key", "round", "done_on", "done_at", "team", "method", "chemical"]

    def __init__(self, *args, rounds: list[tuple[int, date]] = (), zone_open=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone_open = zone_open
        self.fields["round"].choices = [
            (
                round_value(n, planned),
                _("round %(n)s (%(date)s)") % {"n": n, "date": thai_date(planned)},
            )
            for n, planned in rounds
        ]

    def clean_round(self) -> tuple[int, date]:
        number, _sep, planned = self.cleaned_data["round"].partition(":")
        return int(number), date.fromisoformat(planned)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.zone_open:
            raise ValidationError(_("No spray zone with this key is open on this date."))
        return cleaned

    def record_args(self) -> dict:
        """The cleaned input as the arguments of `layers.dengue.services.spray_round_record`."""
        data = self.cleaned_data
        number, planned = data["round"]
        return {
            "zone_key": data["zone_key"],
            "round_number": number,
            "planned_date": planned,
            **self.report_args(),
        }


class SprayRoundCorrectForm(RoundReportFields):
    """A correction of a recorded round: the report fields again, and why."""

    reason = forms.CharField(label=gettext_lazy("Reason for the correction"), max_length=300)


class SprayRoundWithdrawForm(forms.Form):
    """Withdrawing a round recorded by mistake, and why."""

    reason = forms.CharField(label=gettext_lazy("Reason for withdrawing"), max_length=300)


# --- Cases -------------------------------------------------------------------------------------


class CaseForm(forms.Form):
    """A case added or corrected: dates, codes, and its point (on the map, or a building).

    The point comes from the map (longitude and latitude, set by a click) or from a building
    named by its house number or name, which works without JavaScript. The rules are those of
    `layers.dengue.services.case_errors`.
    """

    source_id = forms.CharField(label=gettext_lazy("Case code"), max_length=64, required=False)
    onset_date = BuddhistEraCheckedDateField(label=gettext_lazy("Onset date"))
    report_date = BuddhistEraCheckedDateField(label=gettext_lazy("Report date"))
    diagnosis = forms.ChoiceField(
        label=gettext_lazy("Diagnosis"), choices=DengueCase.Diagnosis.choices
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=DengueCase.Status.choices,
        initial=DengueCase.Status.CONFIRMED,
    )
    sex = forms.ChoiceField(
        label=gettext_lazy("Sex"), choices=DengueCase.Sex.choices, initial=DengueCase.Sex.UNKNOWN
    )
    age_group = forms.CharField(label=gettext_lazy("Age group"), max_length=10, required=False)
    building = forms.CharField(
        label=gettext_lazy("House number or building"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "The case point is that building. Or click the map to place the point."
        ),
    )
    lon = forms.FloatField(label=gettext_lazy("Longitude"), required=False)
    lat = forms.FloatField(label=gettext_lazy("Latitude"), required=False)

    def __init__(self, *args, municipality: Municipality, point_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.point_required = point_required

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["point"] = self._point(cleaned)
        if cleaned["point"] is None and self.point_required and not self.errors:
            self.add_error("building", _("Place the case on the map or choose a building."))
        return cleaned

    def _point(self, cleaned: dict) -> Point | None:
        """The building's point when one is named, else the map's point, else None."""
        name = (cleaned.get("building") or "").strip()
        if name:
            found = dengue.buildings_matching(municipality=self.municipality, text=name)
            if len(found) == 1:
                return found[0].geom.point_on_surface
            if not found:
                self.add_error("building", _("No building has this house number or name."))
            else:
                self.add_error(
                    "building",
                    _("%(n)d buildings match: %(names)s. Give the one meant exactly.")
                    % {"n": len(found), "names": ", ".join(_building_text(b) for b in found[:5])},
                )
            return None
        lon, lat = cleaned.get("lon"), cleaned.get("lat")
        if lon is None and lat is None:
            return None
        if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            self.add_error("lon", _("Give both longitude and latitude, in degrees (WGS 84)."))
            return None
        return Point(lon, lat, srid=WGS84)

    def case_args(self) -> dict:
        """The case fields as `layers.dengue.services.case_create` and `case_correct` take them."""
        data = self.cleaned_data
        return {
            "onset_date": data["onset_date"],
            "report_date": data["report_date"],
            "diagnosis": data["diagnosis"],
            "status": data["status"],
            "sex": data["sex"],
            "age_group": data["age_group"].strip(),
            "point": data["point"],
        }

    def add_model_errors(self, error: ValidationError) -> None:
        """Show a refusal of the service next to its field (the point next to the map)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for field, errors in error.message_dict.items():
            target = "building" if field == "geom" else field
            self.add_error(target if target in self.fields else None, errors)


def _building_text(building) -> str:
    return building.name_th or building.name_en or building.source_id or f"#{building.pk}"


class CaseStepForm(forms.Form):
    """A 3-3-1 step marked done at a local date and time (or cleared, when marked by mistake)."""

    step = forms.ChoiceField(choices=[(s, s) for s in CASE_STEPS], widget=forms.HiddenInput)
    at = forms.DateTimeField(
        label=gettext_lazy("Done at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    clear = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("clear") and cleaned.get("at") is None and not self.errors:
            self.add_error("at", _("Give the date and time the step was done."))
        return cleaned


class PurposeForm(forms.Form):
    """Why the user reads a case's personal data (the access log records it)."""

    purpose = forms.ChoiceField(
        label=gettext_lazy("Why do you need the personal data?"),
        # A relief claim is read on its own page, with its own purpose: not a reason to open a case.
        choices=[
            (value, label)
            for value, label in PersonalDataAccess.Purpose.choices
            if value != PersonalDataAccess.Purpose.RELIEF
        ],
    )


class CasePersonalForm(forms.Form):
    """A case's personal fields, shown and corrected only by roles allowed to read them."""

    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=300, required=False)
    national_id = forms.CharField(label=gettext_lazy("National ID"), max_length=32, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=300, required=False)

    def clean_national_id(self) -> str:
        """13 digits with a valid check digit (Thai digits and separators allowed), or empty."""
        raw = self.cleaned_data["national_id"]
        digits = identifier_normalise(raw)
        if raw.strip() and (len(digits) != 13 or not national_id_check_digit_ok(digits)):
            raise ValidationError(
                _("This national ID is not valid: it needs 13 digits with a matching check digit.")
            )
        return digits

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"]
        digits = identifier_normalise(raw)
        if raw.strip() and not 9 <= len(digits) <= 12:
            raise ValidationError(_("A phone number has 9 to 12 digits."))
        return digits
