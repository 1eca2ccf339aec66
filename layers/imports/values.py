"""Attribute values from files, converted to what a model field stores, or a precise problem.

Files bring numbers as text ("1,234", Thai digits "๑๒"), dates as "2026-01-05", "05/01/2569"
(day first, Buddhist era) or "5 ม.ค. 2569", yes/no in both languages, and codes in their own
words ("วัด", "ไข้เลือดออก"). Each converter accepts those and nothing ambiguous.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
from django.db import models
from django.utils import timezone

from layers.imports.messages import quoted

BUDDHIST_ERA_OFFSET = 543
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
THAI_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("มกราคม", "ม.ค.", "มค"),
            ("กุมภาพันธ์", "ก.พ.", "กพ"),
            ("มีนาคม", "มี.ค.", "มีค"),
            ("เมษายน", "เม.ย.", "เมย"),
            ("พฤษภาคม", "พ.ค.", "พค"),
            ("มิถุนายน", "มิ.ย.", "มิย"),
            ("กรกฎาคม", "ก.ค.", "กค"),
            ("สิงหาคม", "ส.ค.", "สค"),
            ("กันยายน", "ก.ย.", "กย"),
            ("ตุลาคม", "ต.ค.", "ตค"),
            ("พฤศจิกายน", "พ.ย.", "พย"),
            ("ธันวาคม", "ธ.ค.", "ธค"),
        ],
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](.*))?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[T ](.*))?$")
_THAI_MONTH = re.compile(r"^(\d{1,2})\s*([^\d\s]+)\s*(?:พ\.ศ\.|ค\.ศ\.)?\s*(\d{4})(?:\s+(.*))?$")
# 14:30, 14.30 น., 14:30:05, and ISO 8601's 14:30:05.250+07:00 or 07:30:05Z
_TIME = re.compile(
    r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:[.,](\d{1,6}))?)?(?:\s*น\.)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_INTEGER = re.compile(r"^[+-]?\d+$")
MAX_INTEGER_DIGITS = 30  # past any column's range; keeps int() clear of its 4,300-digit limit
TRUE_WORDS = {"true", "t", "yes", "y", "1", "ใช่", "จริง", "มี"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "ไม่ใช่", "เท็จ", "ไม่มี"}


class ValueProblem(Exception):
    """A value that cannot be stored; `code` names a message in `messages.MESSAGES`."""

    def __init__(self, code: str, **params: object):
        self.code = code
        self.params = params
        super().__init__(code)


def is_missing(value: object) -> bool:
    """None, NaN, NaT, pd.NA or blank text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return isinstance(value, str) and not value.strip()


def _text(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        value = value.item()
    return str(value).replace("\x00", "").strip()  # PostgreSQL text holds no NUL


def _number_text(value: object) -> str:
    return _text(value).translate(THAI_DIGITS).replace(",", "").replace(" ", "")


def whole_number(text: str, *, max_digits: int) -> int | None:
    """`text` as a whole number if it is 1 to `max_digits` ASCII digits, else None.

    For query parameters and settings: ``str.isdigit`` alone accepts "²" (which ``int`` refuses)
    and any length (``int`` refuses 4,300 digits and more).
    """
    if text.isascii() and text.isdigit() and len(text) <= max_digits:
        return int(text)
    return None


def parse_integer(value: object, *, low: int, high: int) -> int:
    """An integer between `low` and `high`; '1,234', '๑๒' and 12.0 are accepted, 1.5 is not."""
    if isinstance(value, bool | np.bool_):
        raise ValueProblem("invalid_number", value=quoted(value))
    if isinstance(value, int | np.integer):
        number = int(value)
    else:
        text = _number_text(value)
        if _INTEGER.match(text):
            if len(text.lstrip("+-0")) > MAX_INTEGER_DIGITS:  # int() refuses 4,300 digits
                raise ValueProblem("number_out_of_range", value=quoted(value), low=low, high=high)
            number = int(text)
        else:
            try:
                as_float = float(text)
            except ValueError:
                raise ValueProblem("invalid_number", value=quoted(value)) from None
            if not (math.isfinite(as_float) and as_float.is_integer()):
                raise ValueProblem("invalid_number", value=quoted(value))
            number = int(as_float)
    if not low <= number <= high:
        raise ValueProblem("number_out_of_range", value=quoted(value), low=low, high=high)
    return number


def parse_decimal(value: object, *, max_digits: int, decimal_places: int) -> Decimal:
    """A decimal rounded to `decimal_places` that fits `max_digits`."""
    try:
        number = Decimal(_number_text(value))
    except InvalidOperation:
        raise ValueProblem("invalid_number", value=quoted(value)) from None
    if not number.is_finite():
        raise ValueProblem("invalid_number", value=quoted(value))
    rounded = number.quantize(Decimal(1).scaleb(-decimal_places))
    limit = Decimal(10) ** (max_digits - decimal_places)
    if abs(rounded) >= limit:
        raise ValueProblem(
            "number_out_of_range", value=quoted(value), low=f"-{limit}", high=f"{limit}"
        )
    return rounded


def _year(year: int) -> int:
    return year - BUDDHIST_ERA_OFFSET if year >= 2400 else year


def _date_and_rest(text: str) -> tuple[dt.date, str | None]:
    text = text.translate(THAI_DIGITS).strip()
    if match := _ISO.match(text):
        year, month, day, rest = match.groups()
    elif match := _DAY_FIRST.match(text):
        day, month, year, rest = match.groups()
    elif (match := _THAI_MONTH.match(text)) and match.group(2) in THAI_MONTHS:
        day, month_name, year, rest = match.groups()
        month = THAI_MONTHS[month_name]
    else:
        raise ValueError(text)
    result = dt.date(_year(int(year)), int(month), int(day))
    if not 1900 <= result.year <= 2200:
        raise ValueError(text)
    return result, rest


def parse_date(value: object) -> dt.date:
    """A date from a date, a timestamp, or text (ISO, day/month/year, Thai month names, B.E.).

    Examples
    --------
    >>> parse_date("05/01/2569"), parse_date("5 ม.ค. 2569"), parse_date("2026-01-05")
    (datetime.date(2026, 1, 5), datetime.date(2026, 1, 5), datetime.date(2026, 1, 5))
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64 | pd.Timestamp):
        return pd.Timestamp(value).date()
    try:
        return _date_and_rest(_text(value))[0]
    except ValueError:
        raise ValueProblem("invalid_date", value=quoted(value)) from None


def _utc_offset(text: str | None) -> dt.tzinfo | None:
    """The time zone of an ISO 8601 offset (Z, +07, +0700, +07:00); None without one."""
    if not text:
        return None
    if text.upper() == "Z":
        return dt.UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        raise ValueError(text)
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-delta if text[0] == "-" else delta)


def parse_datetime(value: object) -> dt.datetime:
    """An aware date and time; naive values are in the site's time zone (Asia/Bangkok).

    Text takes a date as `parse_date` does, then a time (14:30, 14.30 น., 14:30:05) or an ISO
    8601 time with fractions and an offset (2026-01-05T14:30:05.250+07:00, ...T07:30:05Z).
    """
    if isinstance(value, np.datetime64 | pd.Timestamp):
        value = pd.Timestamp(value).to_pydatetime()
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        try:
            day, rest = _date_and_rest(_text(value))
            clock = dt.time()
            if rest:
                match = _TIME.match(rest.strip())
                if not match:
                    raise ValueError(rest)
                hour, minute, second, fraction, offset = match.groups()
                microsecond = int((fraction or "0").ljust(6, "0"))
                clock = dt.time(int(hour), int(minute), int(second or 0), microsecond)
                clock = clock.replace(tzinfo=_utc_offset(offset))
            moment = dt.datetime.combine(day, clock)
        except ValueError:
            raise ValueProblem("invalid_datetime", value=quoted(value)) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_boolean(value: object) -> bool:
    """True or False from a boolean, 0/1, or yes/no words in English and Thai."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    word = (
        _number_text(value).casefold() if not isinstance(value, str) else value.strip().casefold()
    )
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueProblem("invalid_boolean", value=quoted(value))


def _choice_key(value: object) -> str:
    return re.sub(r"[\s_\-]+", " ", _text(value).casefold()).strip()


def choice_parser(
    choices: list[tuple[str, str]], synonyms: Mapping[str, str], *, fallback: str | None
) -> Callable[[object], str]:
    """A parser for a TextChoices field: its values, labels and known synonyms, case-blind."""
    lookup = {_choice_key(value): value for value, _label in choices}
    lookup.update({_choice_key(label): value for value, label in choices})
    lookup.update({_choice_key(word): value for word, value in synonyms.items()})
    allowed = ", ".join(value for value, _label in choices)

    def parse(value: object) -> str:
        found = lookup.get(_choice_key(value))
        if found is not None:
            return found
        if fallback is not None:
            return fallback
        raise ValueProblem("invalid_choice", value=quoted(value), choices=allowed)

    return parse


_INTEGER_RANGES = {
    models.PositiveSmallIntegerField: (0, 32767),
    models.SmallIntegerField: (-32768, 32767),
    models.PositiveIntegerField: (0, 2147483647),
    models.IntegerField: (-2147483648, 2147483647),
    models.PositiveBigIntegerField: (0, 2**63 - 1),
    models.BigIntegerField: (-(2**63), 2**63 - 1),
}


def field_parser(
    model_field: models.Field, *, synonyms: Mapping[str, str] | None = None
) -> Callable[[object], object]:
    """The converter from a file value to `model_field`'s Python value (raises ValueProblem)."""
    if model_field.choices:
        fallback = "other" if any(v == "other" for v, _l in model_field.choices) else None
        return choice_parser(list(model_field.choices), synonyms or {}, fallback=fallback)
    for field_class, (low, high) in _INTEGER_RANGES.items():
        if type(model_field) is field_class:
            return lambda value: parse_integer(value, low=low, high=high)
    if isinstance(model_field, models.DecimalField):
        digits, places = model_field.max_digits, model_field.decimal_places
        return lambda value: parse_decimal(value, max_digits=digits, decimal_places=places)
    if isinstance(model_field, models.DateTimeField):
        return parse_datetime
    if isinstance(model_field, models.DateField):
        return parse_date
    if isinstance(model_field, models.BooleanField):
        return parse_boolean
    limit = getattr(model_field, "max_length", None)

    def text(value: object) -> str:
        result = _text(value)
        if limit is not None and len(result) > limit:
            raise ValueProblem("text_too_long", limit=limit)
        return result

    return text


def blank_value(model_field: models.Field) -> object:
    """What a field stores when the file has no value: its default, else '' or None."""
    if model_field.has_default():
        return model_field.get_default()
    if model_field.null:
        return None
    return ""


def json_value(value: object) -> object:
    """A file value as JSON (for `dataset` imports): dates as ISO text, NaN as null."""
    if is_missing(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    if isinstance(value, str | int | bool):
        return value
    if isinstance(value, np.ndarray | list | tuple):
        return [json_value(item) for item in value]
    return str(value)


def objects(items: list) -> np.ndarray:
    """`items` as a one-dimensional object array (even when they are tuples or lists)."""
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


# Kinds of object columns whose equal values convert alike (unlike 1, 1.0 and True).
_ONE_KIND = {"string", "integer", "floating", "boolean", "decimal", "date", "datetime", "empty"}


def by_distinct_value(values: np.ndarray, convert: Callable[[object], object]) -> np.ndarray:
    """`convert` of every value, called once per distinct value (an object array).

    Columns from files repeat their values (classes, names, lane counts), so converting each
    distinct value once and spreading the results is much faster than a call per row. Values
    pandas calls missing (None, NaN, NaT) are converted once per type; every value of a column
    that mixes kinds of values (1 == 1.0 == True would share a result; lists cannot be
    hashed) is converted one by one.
    """
    return by_distinct_value_flagged(values, convert, None)[0]


def by_distinct_value_flagged(
    values: np.ndarray,
    convert: Callable[[object], object],
    flag: Callable[[object], bool] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """`by_distinct_value`, and which results `flag` holds true for (asked once per result)."""
    count = len(values)
    flags = np.zeros(count, dtype=bool)
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in _ONE_KIND:
        result = objects([convert(value) for value in values])
        if flag is not None:
            flags[:] = [flag(item) for item in result]
        return result, flags
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    converted = objects([convert(value) for value in uniques] + [None])
    result = converted[codes]  # code -1 (missing) takes the last slot, filled below
    if flag is not None:
        flags = np.array([flag(item) for item in converted], dtype=bool)[codes]
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        # Missing values of one type (None, NaN, NaT) cannot differ: one call per type.
        by_type: dict[type, object] = {}
        filled = []
        for value in values[missing]:
            kind = type(value)
            if kind not in by_type:
                by_type[kind] = convert(value)
            filled.append(by_type[kind])
        result[missing] = objects(filled)
        if flag is not None:
            flags[missing] = [flag(item) for item in filled]
    return result, flags
