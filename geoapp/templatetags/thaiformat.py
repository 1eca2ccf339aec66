"""Dates and numbers as people read them: the one formatter of templates, map popups and exports.

In Thai: Buddhist era and Thai month names ("15 พ.ย. 2569", "15 พฤศจิกายน 2569"), times in local
time with "น." ("14:05 น."); in English the Common Era ("15 Nov 2026", "14:05"). Numbers carry
thousands separators in both ("63,235"); areas come from `geoapp.templatetags.thaiarea`.
Machine formats (the API, GeoJSON, Open311, date inputs' values) keep ISO dates: never call these
for them.

It lives beside the filters, at the bottom of geoapp's import layers, so that pages, map
builders (`geoapp.web.maps`), exports and the admin can all import it. Hand-written because
Django's formats can't shift the year by 543 (its Thai `DATE_FORMAT` prints the Common Era) and
Babel formats Thai in the Gregorian calendar only; see docs/decisions/0022.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.utils import timezone, translation

BUDDHIST_ERA_OFFSET = 543
THAI_MONTHS_SHORT = [
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
]  # fmt: skip
THAI_MONTHS_LONG = [
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
]  # fmt: skip
ENGLISH_MONTHS_SHORT = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
]  # fmt: skip
ENGLISH_MONTHS_LONG = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


def _thai() -> bool:
    return (translation.get_language() or "th").split("-")[0] == "th"


def _missing(value) -> bool:
    """None, "", NaN (float, numpy, Decimal) and pandas' NaT: nothing to show."""
    if value is None or (isinstance(value, str) and value == ""):
        return True
    try:
        return bool(value != value)  # NaN and NaT are the values unequal to themselves
    except (TypeError, ValueError):
        return False


def _local(value: date | datetime) -> date | datetime:
    """A datetime in the site's time zone (Asia/Bangkok); a date as it is."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def date_text(value: date | datetime | None, *, long: bool = False) -> str:
    """`15 พ.ย. 2569` (`15 พฤศจิกายน 2569` with `long`); `15 Nov 2026` in English; "" for none.

    A datetime is first put in local time: 31 Dec 20:00 UTC is 1 ม.ค. of the next year in Bangkok.
    """
    if _missing(value) or not isinstance(value, date):
        return ""
    day = _local(value)
    if _thai():
        months = THAI_MONTHS_LONG if long else THAI_MONTHS_SHORT
        return f"{day.day} {months[day.month - 1]} {day.year + BUDDHIST_ERA_OFFSET}"
    months = ENGLISH_MONTHS_LONG if long else ENGLISH_MONTHS_SHORT
    return f"{day.day} {months[day.month - 1]} {day.year}"


def month_text(value: date | datetime | None) -> str:
    """`ธันวาคม 2569` in Thai (Buddhist era), `December 2026` in English; "" for none."""
    if _missing(value) or not isinstance(value, date):
        return ""
    day = _local(value)
    if _thai():
        return f"{THAI_MONTHS_LONG[day.month - 1]} {day.year + BUDDHIST_ERA_OFFSET}"
    return f"{ENGLISH_MONTHS_LONG[day.month - 1]} {day.year}"


def time_text(value: datetime | None) -> str:
    """`14:05 น.` in Thai, `14:05` in English, in local time; "" for none."""
    if _missing(value) or not isinstance(value, datetime):
        return ""
    local = _local(value)
    return f"{local:%H:%M} น." if _thai() else f"{local:%H:%M}"


def datetime_text(value: datetime | None, *, long: bool = False) -> str:
    """`15 พ.ย. 2569 14:05 น.` in Thai (local time), `15 Nov 2026 14:05`; a date alone if given."""
    if _missing(value) or not isinstance(value, date):
        return ""
    if not isinstance(value, datetime):
        return date_text(value, long=long)
    local = _local(value)
    return f"{date_text(local, long=long)} {time_text(local)}"


def number_text(value, digits: int = 0) -> str:
    """`63,235` (or `1,234.50` with digits=2): thousands separated; "" for none, NaN or text.

    Thai offices write Arabic digits with commas, the same as English.
    """
    if _missing(value) or isinstance(value, bool):
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if not number.is_finite():
        return ""
    return f"{number:,.{max(int(digits), 0)}f}"


def baht_text(value, digits: int = 2) -> str:
    """`1,250.00 บาท` (`1,250.00 baht` in English); "" for none."""
    amount = number_text(value, digits)
    if not amount:
        return ""
    return f"{amount} บาท" if _thai() else f"{amount} baht"


def cell_text(value) -> str:
    """A value from a data frame or import as a person reads it: NaN and None are empty."""
    if _missing(value):
        return ""
    if isinstance(value, datetime) and timezone.is_naive(value) and value.time() == time():
        return date_text(value)  # a date column pandas holds as midnight timestamps
    if isinstance(value, date):
        return datetime_text(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a whole number from a column pandas made float by a gap
    return str(value)
