"""Residents' input for reports, parsed by Django forms: every field is hostile until it is here."""

from __future__ import annotations

from django import forms
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from geoapp.models import Report, ServiceCategory
from geoapp.reports.followup import MAX_COMMENT_CHARS
from geoapp.reports.photos import (
    MAX_PHOTOS,
    MAX_UPLOAD_BYTES,
    CleanPhoto,
    PhotoRejected,
    photo_clean,
)
from geoapp.reports.services import Contact, ReportInput
from layers.models import Municipality

MAX_DESCRIPTION_CHARS = 4000  # as Open311's description
MAX_ACCURACY_M = 10_000


class LocationForm(forms.Form):
    """Step one: what and where (a GPS fix with its accuracy, or a pin on the map)."""

    category = forms.ChoiceField(label=_("What is the problem?"))
    latitude = forms.FloatField(
        label=_("Latitude"), min_value=-90, max_value=90, widget=forms.NumberInput({"step": "any"})
    )
    longitude = forms.FloatField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput({"step": "any"}),
    )
    accuracy_m = forms.FloatField(
        label=_("Accuracy (m)"),
        required=False,
        min_value=0,
        max_value=MAX_ACCURACY_M,
        widget=forms.HiddenInput,
    )
    location_source = forms.ChoiceField(
        choices=[(Report.LocationSource.GPS, ""), (Report.LocationSource.PIN, "")],
        initial=Report.LocationSource.PIN,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.categories = {
            c.code: c
            for c in ServiceCategory.objects.filter(municipality=municipality, is_active=True)
        }
        self.fields["category"].choices = [("", _("Choose…"))] + [
            (code, c.name_th) for code, c in self.categories.items()
        ]

    def clean(self):
        data = super().clean()
        if "latitude" in data and "longitude" in data:
            data["point"] = _point_inside(self.municipality, data["longitude"], data["latitude"])
        if data.get("location_source") != Report.LocationSource.GPS:
            data["accuracy_m"] = None  # an accuracy only means something for a GPS fix
        return data

    def report_input(self, description: str = "") -> ReportInput:
        data = self.cleaned_data
        return ReportInput(
            category=self.categories[data["category"]],
            point=data["point"],
            accuracy_m=data.get("accuracy_m"),
            location_source=data["location_source"],
            description=description,
        )


class ContactFields(forms.Form):
    """Optional contact details, and a honeypot that people never see and bots fill in."""

    name = forms.CharField(label=_("Your name"), required=False, max_length=200)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    # Hidden from people (CSS and aria-hidden); a form that fills it in is a robot's.
    website = forms.CharField(required=False, max_length=200)

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        digits = [ch for ch in phone if ch.isdigit()]
        if phone and not 9 <= len(digits) <= 15:
            raise ValidationError(_("Enter a phone number of 9 to 15 digits."))
        return phone

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website"))

    def contact(self) -> Contact:
        data = self.cleaned_data
        return Contact(name=data["name"], phone=data["phone"], email=data["email"])


class ReportForm(LocationForm, ContactFields):
    """Step two: the description, one to three photos, optional contact details."""

    description = forms.CharField(
        label=_("What is wrong?"),
        max_length=MAX_DESCRIPTION_CHARS,
        min_length=3,
        widget=forms.Textarea({"rows": 4}),
    )
    photos = forms.FileField(label=_("Photos (1 to 3)"), required=False)

    def clean_photos(self) -> list[CleanPhoto]:
        uploads = self.files.getlist("photos") if hasattr(self.files, "getlist") else []
        if not uploads:
            raise ValidationError(_("Add at least one photo."))
        if len(uploads) > MAX_PHOTOS:
            raise ValidationError(_("Add at most three photos."))
        if any(upload.size > MAX_UPLOAD_BYTES for upload in uploads):
            raise ValidationError(_("A photo may be at most 15 MB."))
        try:
            return [photo_clean(upload.read()) for upload in uploads]
        except PhotoRejected as error:
            raise ValidationError(str(error)) from error

    def report_input(self, description: str = "") -> ReportInput:
        return super().report_input(self.cleaned_data["description"])


class FollowForm(ContactFields):
    """Same problem: follow an open report instead of sending a new one."""

    report = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class Open311PostForm(forms.Form):
    """An Open311 POST's place and words (the key and the service are checked before)."""

    lat = forms.FloatField(min_value=-90, max_value=90)
    long = forms.FloatField(min_value=-180, max_value=180)
    description = forms.CharField(max_length=MAX_DESCRIPTION_CHARS, min_length=3)
    address_string = forms.CharField(required=False, max_length=300)
    email = forms.EmailField(required=False, max_length=254)
    phone = forms.CharField(required=False, max_length=40)

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality

    def clean(self):
        data = super().clean()
        if "lat" in data and "long" in data:
            data["point"] = _point_inside(self.municipality, data["long"], data["lat"])
        return data


def _point_inside(municipality: Municipality, longitude: float, latitude: float) -> Point:
    point = Point(longitude, latitude, srid=4326)
    if not Municipality.objects.filter(pk=municipality.pk, boundary__intersects=point).exists():
        raise ValidationError(_("This place is outside the municipality."))
    return point


class _Honeypot(forms.Form):
    website = forms.CharField(required=False, max_length=200)

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website"))


class CommentForm(_Honeypot):
    """A resident's comment on their report: words, a photo, or both."""

    body = forms.CharField(
        label=_("Your comment"),
        required=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea({"rows": 3}),
    )
    photo = forms.FileField(label=_("A photo (optional)"), required=False)

    def clean_photo(self) -> CleanPhoto | None:
        uploads = self.files.getlist("photo") if hasattr(self.files, "getlist") else []
        if not uploads:
            return None
        if len(uploads) > 1:
            raise ValidationError(_("Add one photo at a time."))
        if uploads[0].size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("A photo may be at most 15 MB."))
        try:
            return photo_clean(uploads[0].read())
        except PhotoRejected as error:
            raise ValidationError(str(error)) from error

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("photo") and not self.errors:
            raise ValidationError(_("Write a comment or add a photo."))
        return data


class ReopenForm(_Honeypot):
    """Why the problem is not solved (required to reopen)."""

    reason = forms.CharField(
        label=_("Why is the problem not solved?"),
        min_length=3,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea({"rows": 3}),
    )
