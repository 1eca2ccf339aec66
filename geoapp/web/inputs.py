"""One reader of the inputs people and scripts send: dates, whole numbers, numbers, choices, lists.

The pages read text from the query string (`query_text`, then the `*_input` functions take the
text or None); the OGC processes read JSON values, where a number must be a JSON number. A bad
input raises `InputError`, whose text names the input, says what to send and can be rendered in
Thai or English (the processes answer in both).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layers.imports.values import THAI_DIGITS

#: No date before this one is read: older dates are typing mistakes, not records.
EARLIEST_DATE = date(2000, 1, 1)
#: How much of a bad value a message quotes back.
SHOWN_CHARS = 300
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE_NUMBER = re.compile(r"^[+-]?\d{1,100}$")

Message = Callable[[], str] | str


class InputError(Exception):
    """An input that cannot be used; `text()` says why in the active (or a given) language.

    `message` is a function giving the text, or a (lazy) msgid formatted with `args`.
    """

    def __init__(self, name: str, message: Message, args: Mapping[str, object] | None = None):
        super().__init__(name)
        self.name = name
        self.message = message
        self.params = dict(args or {})

    def text(self, language: str | None = None) -> str:
        """The message, in `language` if given."""
        if language is None:
            return self._render()
        with translation.override(language):
            return self._render()

    def _render(self) -> str:
        if callable(self.message):
            return self.message()
        return str(self.message) % self.params if self.params else str(self.message)

    def __str__(self) -> str:
        return self.text()


def query_text(params: Mapping[str, str], name: str) -> str | None:
    """The text of the query parameter `name`, stripped; None when absent or blank."""
    return params.get(name, "").strip() or None


def quoted(value: object, limit: int = SHOWN_CHARS) -> str:
    """A value as a message quotes it back: as text, cut to `limit` characters."""
    return str(value)[:limit]


def _error(name: str, message: Message, args: Mapping[str, object]) -> InputError:
    return InputError(name, message, {"name": name, **args})


# --- Dates -------------------------------------------------------------------------------------


def date_input(raw: object, name: str, *, default: date, latest: date) -> date:
    """The date written YYYY-MM-DD (Gregorian) from EARLIEST_DATE to `latest`; None: `default`."""
    if raw is None:
        return default
    example = default.isoformat()
    if not isinstance(raw, str) or not _ISO_DATE.match(raw):
        raise _error(
            name,
            gettext_lazy(
                "“%(value)s” is not a date: write %(name)s as YYYY-MM-DD, for example %(example)s."
            ),
            {"value": quoted(raw, 40), "example": example},
        )
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise _error(
            name,
            gettext_lazy(
                "%(value)s is not a date of the calendar: write %(name)s as YYYY-MM-DD, "
                "for example %(example)s."
            ),
            {"value": raw, "example": example},
        ) from None
    if value.year > 2400:
        raise _error(
            name,
            gettext_lazy(
                "The year %(year)s looks like a Buddhist-era year: subtract 543 "
                "(for example %(example)s)."
            ),
            {"year": value.year, "example": example},
        )
    if not EARLIEST_DATE <= value <= latest:
        raise _error(
            name,
            gettext_lazy("%(name)s must lie between %(first)s and %(last)s."),
            {"first": EARLIEST_DATE.isoformat(), "last": latest.isoformat()},
        )
    return value


# --- Numbers -----------------------------------------------------------------------------------


def is_integer(value: object) -> bool:
    """A JSON whole number (True and False are not numbers)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """A finite JSON number (True and False are not numbers)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def whole_number_text(text: str) -> int | None:
    """`text` as a whole number ("๑๐๐" as typed on a Thai keyboard counts), else None."""
    text = text.strip().translate(THAI_DIGITS)
    return int(text) if _WHOLE_NUMBER.match(text) else None


def integer_input(
    raw: object,
    name: str,
    *,
    default: int | None,
    low: int,
    high: int,
    message: Message | None = None,
    unreadable: Message | None = None,
    strict: bool = False,
) -> int | None:
    """A whole number from `low` to `high`; None gives `default`.

    Text (from a query) is read with `whole_number_text`. `strict`: `raw` is a JSON value that
    must be a whole number (not text, not null). `unreadable` is the message for what is not a
    number at all (default `message`).
    """
    if raw is None and not strict:
        return default
    value = whole_number_text(raw) if isinstance(raw, str) and not strict else raw
    message = message or gettext_lazy("%(name)s must be a whole number from %(low)s to %(high)s.")
    args = {"low": low, "high": high, "value": quoted(raw)}
    if not is_integer(value):
        raise _error(name, unreadable or message, args)
    if not low <= value <= high:
        raise _error(name, message, args)
    return value


def number_input(
    raw: object,
    name: str,
    *,
    default: float,
    low: float,
    high: float,
    message: Message,
    args: Mapping[str, object] | None = None,
    strict: bool = False,
) -> float:
    """A finite number from `low` to `high`; None gives `default`.

    Text (from a query) may use a decimal comma. `strict`: `raw` is a JSON value that must be a
    number (not text, not null). `message` is formatted with name, low, high, value and `args`.
    """
    if raw is None and not strict:
        return default
    value: object = raw
    if isinstance(raw, str) and not strict:
        try:
            value = float(raw.strip().replace(",", "."))
        except ValueError:
            value = math.nan
    if not is_number(value) or not low <= value <= high:
        shown = {"low": f"{low:g}", "high": f"{high:g}", "value": quoted(raw)}
        raise _error(name, message, {**shown, **(args or {})})
    return float(value)


# --- Choices and lists -------------------------------------------------------------------------


def choice_input(
    raw: object,
    name: str,
    choices: Collection[str],
    *,
    default: str,
    message: Message | None = None,
    args: Mapping[str, object] | None = None,
) -> str:
    """One of `choices`; None gives `default`.

    `message` is formatted with name, choices (comma-separated), value and `args`.
    """
    if raw is None:
        return default
    if not isinstance(raw, str) or raw not in choices:
        shown = {"choices": ", ".join(choices), "value": quoted(raw)}
        raise _error(
            name,
            message or gettext_lazy("%(name)s must be one of %(choices)s, not “%(value)s”."),
            {**shown, **(args or {})},
        )
    return raw


def list_input(
    raw: object,
    name: str,
    *,
    default: Sequence,
    item_ok: Callable[[object], bool],
    item_text: Callable[[], str],
    max_items: int,
) -> list:
    """A JSON list of 1 to `max_items` different items that pass `item_ok`; None: `default`."""
    if raw is None:
        return list(default)
    if (
        not isinstance(raw, list)
        or not 1 <= len(raw) <= max_items
        or not all(item_ok(item) for item in raw)
        or len({repr(item) for item in raw}) != len(raw)
    ):
        raise InputError(
            name,
            lambda: (
                _("%(name)s must be a list of 1 to %(n)s different %(items)s.")
                % {"name": name, "n": max_items, "items": item_text()}
            ),
        )
    return raw


# --- Search text -------------------------------------------------------------------------------

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def search_text_input(raw: str | None, name: str, *, max_chars: int) -> str:
    """Text to search for: stripped, spaces collapsed; "" when absent.

    Refused: longer than `max_chars` characters, or holding control characters (NUL, which
    PostgreSQL text cannot hold, tabs, line breaks): a search box sends none of them.
    """
    text = re.sub(r" {2,}", " ", (raw or "").strip(" "))
    if _CONTROL_CHARACTERS.search(text):
        raise _error(
            name, gettext_lazy("%(name)s must not contain control characters."), {"max": max_chars}
        )
    if len(text) > max_chars:
        raise _error(
            name,
            gettext_lazy("%(name)s must be at most %(max)s characters long."),
            {"max": max_chars},
        )
    return text
