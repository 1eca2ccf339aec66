"""Report categories of a municipality, on pages for administrators (SUPERVISE_REPORTS).

What residents can report (an Open311 service), whether its reports are shown publicly, its
target in days, the division in charge and its e-mail, and which product page it feeds. A
category with reports cannot be deleted (`Report.category` is PROTECT): it is retired instead
(`is_active`), which takes it off the report form and services.json and keeps its reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from geoapp.models import ServiceCategory
from geoapp.web.permissions import Action, actions_of, municipality_requiring
from layers.models import Municipality

TARGET_DAYS_MAX = 365
EDITABLE_FIELDS = (
    "code",
    "name_th",
    "name_en",
    "description",
    "is_public",
    "is_active",
    "target_days",
    "division",
    "division_email",
    "feeds",
)


@dataclass(frozen=True)
class CategoryRow:
    """A category as the list shows it, with how many reports use it."""

    pk: int
    code: str
    name_th: str
    name_en: str
    is_public: bool
    is_active: bool
    target_days: int | None
    division: str
    division_email: str
    feeds_label: str
    report_count: int


def category_rows(*, municipality: Municipality) -> list[CategoryRow]:
    """The municipality's categories, accepting ones first, then by Thai name."""
    categories = (
        ServiceCategory.objects.filter(municipality=municipality)
        .annotate(report_count=Count("reports"))
        .order_by("-is_active", "name_th", "code")
    )
    return [
        CategoryRow(
            pk=c.pk,
            code=c.code,
            name_th=c.name_th,
            name_en=c.name_en,
            is_public=c.is_public,
            is_active=c.is_active,
            target_days=c.target_days,
            division=c.division,
            division_email=c.division_email,
            feeds_label=str(c.get_feeds_display()),
            report_count=c.report_count,
        )
        for c in categories
    ]


def category_in_use(*, category: ServiceCategory) -> bool:
    """Whether any report uses the category (then its code, in links and Open311, stays)."""
    return category.pk is not None and category.reports.exists()


def category_save(
    *, municipality: Municipality, category: ServiceCategory, fields: dict
) -> ServiceCategory:
    """Create or change a category of the municipality; the code stays once reports use it."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        if category.pk is not None:
            category = ServiceCategory.objects.select_for_update().get(
                pk=category.pk, municipality=municipality
            )
            if fields.get("code", category.code) != category.code and category_in_use(
                category=category
            ):
                raise ValidationError({"code": _("Reports use this code: it cannot be changed.")})
        category.municipality = municipality
        for name, value in fields.items():
            setattr(category, name, value)
        category.full_clean()
        category.save()
    return category


class CategoryForm(forms.ModelForm):
    """A category's fields as an administrator sets them (the municipality comes from the URL)."""

    target_days = forms.IntegerField(
        label=gettext_lazy("Target (days to done)"),
        required=False,
        validators=[MinValueValidator(1), MaxValueValidator(TARGET_DAYS_MAX)],
        help_text=gettext_lazy("1 to 365 days; leave empty for no target."),
        widget=forms.NumberInput({"min": 1, "max": TARGET_DAYS_MAX, "inputmode": "numeric"}),
    )

    class Meta:
        model = ServiceCategory
        fields = EDITABLE_FIELDS
        labels = {
            "code": gettext_lazy("Code (letters a-z, digits and -)"),
            "name_th": gettext_lazy("Name in Thai"),
            "name_en": gettext_lazy("Name in English"),
            "description": gettext_lazy("Description for residents"),
            "is_public": gettext_lazy("Show its reports publicly (public list, map and Open311)"),
            "is_active": gettext_lazy("Accepting reports"),
            "division": gettext_lazy("Division in charge"),
            "division_email": gettext_lazy("The division's e-mail"),
            "feeds": gettext_lazy("Its reports are also shown on"),
        }
        help_texts = {
            "code": gettext_lazy("Used in links and by Open311 (service_code)."),
            "is_active": gettext_lazy(
                "Untick to retire it: residents can no longer choose it; its reports stay."
            ),
        }
        widgets = {"description": forms.Textarea({"rows": 3})}

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.fields["code"].widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})
        if category_in_use(category=self.instance):
            # A disabled field ignores what is posted: the code stays whatever is sent.
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Reports use this code: it cannot be changed.")

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        taken = ServiceCategory.objects.filter(municipality=self.municipality, code=code)
        if self.instance.pk is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("Another category of the municipality has this code."))
        return code


def _municipality(request: HttpRequest, code: str) -> Municipality:
    return municipality_requiring(request.user, code, Action.SUPERVISE_REPORTS)


def _render(request, template, municipality, *, status: int = 200, **context) -> HttpResponse:
    allowed = actions_of(request.user, municipality)
    context = {
        "municipality": municipality,
        "can_work": Action.WORK_REPORTS in allowed,
        "can_supervise": Action.SUPERVISE_REPORTS in allowed,
        **context,
    }
    return render(request, f"geoapp/reports/staff/{template}", context, status=status)


@never_cache
@login_required
@require_GET
def report_categories_page(request: HttpRequest, code: str) -> HttpResponse:
    """The municipality's report categories (administrators)."""
    municipality = _municipality(request, code)
    rows = category_rows(municipality=municipality)
    return _render(request, "categories.html", municipality, rows=rows)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def report_category_page(request: HttpRequest, code: str, category_id: int | None = None):
    """Add a category, or change one of the municipality's (another's is not found)."""
    municipality = _municipality(request, code)
    if category_id is None:
        category = ServiceCategory(municipality=municipality)
    else:
        category = ServiceCategory.objects.filter(municipality=municipality, pk=category_id).first()
        if category is None:
            raise Http404("No such category")
    form = CategoryForm(request.POST or None, instance=category, municipality=municipality)
    if request.method == "POST":
        if form.is_valid():
            try:
                category_save(
                    municipality=municipality,
                    category=category,
                    fields={name: form.cleaned_data[name] for name in EDITABLE_FIELDS},
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("reports-categories", code=code)
        return _render(request, "category.html", municipality, status=400, form=form)
    return _render(request, "category.html", municipality, form=form)
