"""Staff input on reports, parsed by Django forms (staff input is checked as hostile too)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geoapp.models import ReportStatus, ServiceCategory
from geoapp.reports.photos import MAX_UPLOAD_BYTES, PhotoRejected, photo_clean
from geoapp.reports.staff_selectors import QueueFilters, division_names, member_choices
from geoapp.reports.staff_services import STAFF_STATUSES, AfterPhoto
from layers.models import Municipality

MAX_NOTE_CHARS = 2000


class QueueForm(forms.Form):
    """The queue's filters (GET); an unknown value is a 400, not a silent "everything"."""

    division = forms.ChoiceField(label=_("Division in charge"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    review = forms.BooleanField(label=_("Needs review only"), required=False)
    since = forms.DateField(
        label=_("Reported from"), required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(
        label=_("Reported until"), required=False, widget=forms.DateInput({"type": "date"})
    )
    q = forms.CharField(label=_("Text or report number"), required=False, max_length=100)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _("All"))]
        self.fields["division"].choices = every + [
            (d, d) for d in division_names(municipality=municipality)
        ]
        self.fields["category"].choices = every + [
            (c.code, c.name_th) for c in ServiceCategory.objects.filter(municipality=municipality)
        ]
        self.fields["status"].choices = every + list(ReportStatus.choices)

    def filters(self) -> QueueFilters:
        data = self.cleaned_data
        return QueueFilters(
            division=data["division"],
            category=data["category"],
            status=data["status"],
            overdue=data["overdue"],
            review=data["review"],
            since=data["since"],
            until=data["until"],
            text=data["q"].strip(),
        )


class AssignForm(forms.Form):
    """Which division (by default the category's) and, optionally, which member is in charge."""

    division = forms.CharField(
        label=_("Division in charge"),
        max_length=200,
        required=False,
        widget=forms.TextInput({"list": "division-names"}),
    )
    assignee = forms.TypedChoiceField(
        label=_("Officer in charge"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            ("", _("Nobody in particular")),
            *member_choices(municipality=municipality),
        ]


class StatusForm(forms.Form):
    """A status other than done, with what the public page says about it."""

    status = forms.ChoiceField(
        label=_("New status"), choices=[(s.value, s.label) for s in STAFF_STATUSES]
    )
    note = forms.CharField(
        label=_("Note for the resident (shown publicly)"),
        required=False,
        max_length=MAX_NOTE_CHARS,
        widget=forms.Textarea({"rows": 3}),
    )
    forwarded_to = forms.CharField(label=_("Forwarded to (agency)"), required=False, max_length=200)
    duplicate_of = forms.IntegerField(
        label=_("Duplicate of report no."), required=False, min_value=1, max_value=2**62
    )


class DoneForm(forms.Form):
    """Closing as done: an after photo with the device's location at capture, or an override."""

    photo = forms.FileField(label=_("After photo"), required=False)
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    accuracy_m = forms.FloatField(
        required=False, min_value=0, max_value=100_000, widget=forms.HiddenInput
    )
    note = forms.CharField(
        label=_("Note for the resident (shown publicly)"),
        required=False,
        max_length=MAX_NOTE_CHARS,
        widget=forms.Textarea({"rows": 3}),
    )
    override_reason = forms.CharField(
        label=_("Supervisor: close without a near photo, because"),
        required=False,
        max_length=500,
        widget=forms.Textarea({"rows": 2}),
    )

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if upload is None:
            return None
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("A photo may be at most 15 MB."))
        try:
            return photo_clean(upload.read())
        except PhotoRejected as error:
            raise ValidationError(str(error)) from error

    def after_photo(self) -> AfterPhoto | None:
        data = self.cleaned_data
        if data.get("photo") is None:
            return None
        has_place = data.get("latitude") is not None and data.get("longitude") is not None
        return AfterPhoto(
            photo=data["photo"],
            taken_at=Point(data["longitude"], data["latitude"], srid=4326) if has_place else None,
            accuracy_m=data.get("accuracy_m") if has_place else None,
        )


class ContactsForm(forms.Form):
    """Why a staff member reads a reporter's contact details (logged with the read)."""

    purpose = forms.CharField(label=_("Purpose of reading the contact details"), max_length=200)

    def clean_purpose(self):
        purpose = self.cleaned_data["purpose"].strip()
        if not purpose:
            raise ValidationError(_("Say why you need the contact details."))
        return purpose


class AnswerForm(forms.Form):
    """Staff answer a resident's comment or reopening, shown publicly as the municipality's."""

    body = forms.CharField(
        label=_("Answer to the resident (shown on the public page)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise ValidationError(_("Write the answer."))
        return body


class ReportSettingsForm(forms.Form):
    moderate_first_time = forms.BooleanField(
        label=_("Hold reports from first-time reporters until a staff member accepts them"),
        required=False,
    )


class MonthForm(forms.Form):
    """The month of the summary, YYYY-MM (the current month when absent)."""

    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput({"type": "month"}, format="%Y-%m"),
    )
    format = forms.ChoiceField(
        required=False, choices=[("", "html"), ("html", "html"), ("csv", "csv")]
    )

    def clean_month(self) -> date:
        month = self.cleaned_data["month"]
        today = timezone.localdate()
        if month is None:
            return today.replace(day=1)
        if not date(2000, 1, 1) <= month <= today:
            raise ValidationError(_("Choose a month from 2000 to this month."))
        return month.replace(day=1)
