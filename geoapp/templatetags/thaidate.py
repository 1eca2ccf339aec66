"""Filters over `geoapp.templatetags.thaiformat`: Buddhist-era dates in Thai, commas in numbers.

`{{ d|thai_date }}` 15 พ.ย. 2569 · `{{ d|thai_date_long }}` 15 พฤศจิกายน 2569 ·
`{{ d|thai_month }}` พฤศจิกายน 2569 · `{{ t|thai_datetime }}` 15 พ.ย. 2569 14:05 น. ·
`{{ t|thai_time }}` 14:05 น. ·
`{{ n|thai_number }}` 63,235 (`{{ n|thai_number:1 }}` 8.8) · `{{ b|thai_baht }}` 1,250.00 บาท.
English pages get the Common Era and English units.
"""

from __future__ import annotations

from django import template

from geoapp.templatetags.thaiformat import (
    BUDDHIST_ERA_OFFSET,
    THAI_MONTHS_SHORT,
    baht_text,
    cell_text,
    date_text,
    datetime_text,
    month_text,
    number_text,
    time_text,
)

register = template.Library()

__all__ = ["BUDDHIST_ERA_OFFSET", "THAI_MONTHS_SHORT", "thai_date", "thai_datetime"]


@register.filter
def thai_date(value) -> str:
    """`16 พ.ย. 2568` in Thai (Buddhist era), `16 Nov 2025` in English."""
    return date_text(value)


@register.filter
def thai_date_long(value) -> str:
    """`16 พฤศจิกายน 2568` in Thai, `16 November 2025` in English."""
    return date_text(value, long=True)


@register.filter
def thai_month(value) -> str:
    """`ธันวาคม 2569` in Thai (Buddhist era), `December 2026` in English (main's filter too)."""
    return month_text(value)


@register.filter
def thai_datetime(value) -> str:
    """`21 พ.ย. 2569 15:29 น.` in Thai (Buddhist era, local time); `21 Nov 2026 15:29`."""
    return datetime_text(value)


@register.filter
def thai_time(value) -> str:
    """`15:29 น.` in Thai, `15:29` in English (local time)."""
    return time_text(value)


@register.filter
def thai_number(value, digits=0) -> str:
    """`63,235`; with an argument, that many decimals."""
    return number_text(value, int(digits))


@register.filter
def thai_baht(value, digits=2) -> str:
    """`1,250.00 บาท` in Thai, `1,250.00 baht` in English."""
    return baht_text(value, int(digits))


@register.filter
def thai_cell(value) -> str:
    """A value from a file or table as people read it: NaN and None empty, dates formatted."""
    return cell_text(value)
