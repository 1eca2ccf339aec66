"""Areas in ไร่-งาน-ตารางวา and in square metres with thousands separators (geoapp.templatetags)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from geoapp.templatetags.thaiarea import rai_ngan_wa, square_metres


@pytest.mark.parametrize(
    ("m2", "expected"),
    [
        (1600, "1 ไร่"),
        (400, "1 งาน"),
        (4, "1 ตารางวา"),
        (2004, "1 ไร่ 1 งาน 1 ตารางวา"),
        (63235, "39 ไร่ 2 งาน 8.8 ตารางวา"),  # 15,808.75 ตารางวา: 39 x 400 + 2 x 100 + 8.75
        (1599.9, "1 ไร่"),  # 399.975 ตารางวา rounds up to a whole ไร่
        (2_000_000, "1,250 ไร่"),
        (6, "1.5 ตารางวา"),
        (0, "0 ตารางวา"),
        ("1600", "1 ไร่"),
    ],
)
def test_rai_ngan_wa_in_thai(m2, expected):
    with translation.override("th"):
        assert rai_ngan_wa(m2) == expected


def test_rai_ngan_wa_in_english():
    with translation.override("en"):
        assert rai_ngan_wa(63235) == "39 rai 2 ngan 8.8 square wa"


@pytest.mark.parametrize("value", [None, "", "abc", -5, float("nan"), float("inf")])
def test_no_area_or_a_nonsense_one_shows_nothing(value):
    with translation.override("th"):
        assert rai_ngan_wa(value) == ""
        assert square_metres(value) == ""


@pytest.mark.parametrize(
    ("m2", "language", "expected"),
    [(63235, "th", "63,235 ตร.ม."), (63235.4, "th", "63,235 ตร.ม."), (63235.5, "en", "63,236 m²")],
)
def test_square_metres_have_thousands_separators(m2, language, expected):
    with translation.override(language):
        assert square_metres(m2) == expected


def test_the_filters_work_in_a_template():
    template = Template("{% load thaiarea %}{{ a|square_metres }} ({{ a|rai_ngan_wa }})")

    with translation.override("th"):
        assert template.render(Context({"a": 63235})) == "63,235 ตร.ม. (39 ไร่ 2 งาน 8.8 ตารางวา)"
