"""`{% print_page_margins municipality %}`: the running head and foot of a printed page."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def print_page_margins(municipality) -> SafeString:
    """A stylesheet giving every printed page the municipality, the date and its number."""
    return format_html(
        '<link rel="stylesheet" href="{}" class="print-page-margins">',
        reverse("print-margins", args=[municipality.code]),
    )
