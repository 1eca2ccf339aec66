"""The import's own phrases (how an encoding or a coordinate system was chosen) in Thai."""

from __future__ import annotations

from django import template
from django.utils import translation

from layers.imports.messages import thai_phrase

register = template.Library()


@register.filter
def import_phrase(text):
    """`EPSG:4326 WGS 84 (ตามที่ระบุในไฟล์)` on Thai pages for `EPSG:4326 WGS 84 (file)`."""
    return thai_phrase(text) if translation.get_language() == "th" else text
