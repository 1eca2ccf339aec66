"""Every import message exists in Thai and English, with the same placeholders, and the gettext
catalogue holds each message with the Thai text the code uses."""

from __future__ import annotations

import string

import pytest

from layers.imports.messages import MESSAGES, Issue, quoted
from tests.catalogue import thai_catalogue


def placeholders(template: str) -> set[str]:
    """Names in a template; a Thai template may use `x_th` where the English one uses `x`."""
    return {
        name.removesuffix("_th")
        for _text, name, _spec, _conv in string.Formatter().parse(template)
        if name
    }


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_thai_and_english_take_the_same_placeholders(code):
    english, thai = MESSAGES[code]

    assert placeholders(english) == placeholders(thai)
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in thai)


def test_the_gettext_catalogue_holds_every_message_with_its_thai_text():
    catalogue = thai_catalogue()

    for english, thai in MESSAGES.values():
        assert catalogue.get(english) == thai, english


def test_an_issue_reads_file_row_field_and_reason_in_both_languages():
    issue = Issue(
        "invalid_date",
        file="cases.csv",
        row=57,
        field="onset_date",
        params={"value": quoted("2026-13-45")},
    )

    assert str(issue) == (
        "cases.csv: แถว 57 คอลัมน์ onset_date: วันที่ '2026-13-45' ไม่ถูกต้อง / "
        "row 57, field onset_date: invalid date '2026-13-45'"
    )
    assert issue.as_dict()["en"] == "cases.csv: row 57, field onset_date: invalid date '2026-13-45'"


def test_values_from_files_cannot_inject_control_characters_or_run_long():
    shown = quoted("\x1b[31mred\nline" + "x" * 100)

    assert "\x1b" not in shown
    assert "\n" not in shown
    assert len(shown) <= 62
