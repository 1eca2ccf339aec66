"""Dates as a Thai officer writes them: Buddhist era and Thai month names (English otherwise)."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone, translation

register = template.Library()

THAI_MONTHS_SHORT = [
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
]  # fmt: skip
BUDDHIST_ERA_OFFSET = 543


@register.filter
def thai_date(value: date | None) -> str:
    """`16 พ.ย. 2568` in Thai (Buddhist era), `16 Nov 2025` in English."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if translation.get_language() == "th":
        return (
            f"{value.day} {THAI_MONTHS_SHORT[value.month - 1]} {value.year + BUDDHIST_ERA_OFFSET}"
        )
    return f"{value.day} {value:%b %Y}"


@register.filter
def thai_datetime(value: datetime | None) -> str:
    """`21 พ.ย. 2569 15:29 น.` in Thai (Buddhist era, local time); `21 Nov 2026 15:29`."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if translation.get_language() == "th":
        return f"{thai_date(local.date())} {local:%H:%M} น."
    return f"{thai_date(local.date())} {local:%H:%M}"


THAI_MONTHS_LONG = [
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
]  # fmt: skip


@register.filter
def thai_month(value: date | None) -> str:
    """`ธันวาคม 2569` in Thai (Buddhist era), `December 2026` in English."""
    if value is None:
        return ""
    if translation.get_language() == "th":
        return f"{THAI_MONTHS_LONG[value.month - 1]} {value.year + BUDDHIST_ERA_OFFSET}"
    return f"{value:%B %Y}"
