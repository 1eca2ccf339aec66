"""The running head and foot of printed pages keep a hostile municipality name as text."""

from __future__ import annotations

import re
from datetime import date

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from geoapp.web.printing import css_string, print_margins_css


def test_a_name_cannot_end_the_css_string():
    hostile = 'เทศบาล"; } @page { size: 1mm } </style><script>alert(1)</script> \\'

    css = print_margins_css(name=hostile, printed_on=date(2026, 12, 8))

    inner = re.search(r'@top-left \{ content: ("(?:[^"\\]|\\.)*");', css)
    assert inner, css
    assert '"' not in inner.group(1)[1:-1]
    outside_strings = re.sub(r'"(?:[^"\\]|\\.)*"', "", css)
    assert "size" not in outside_strings
    assert "<" not in css
    assert outside_strings.count("{") == outside_strings.count("}") == 4


def test_escaped_text_reads_back_as_the_original():
    text = 'ถ.ราชดำเนิน "1" \\ <b>'

    quoted = css_string(text)

    decoded = re.sub(r"\\([0-9a-f]{6})", lambda m: chr(int(m.group(1), 16)), quoted[1:-1])
    assert decoded == text


def test_page_numbers_and_date_in_thai():
    with translation.override("th"):
        css = print_margins_css(name="เทศบาล", printed_on=date(2026, 12, 8))

    assert "counter(page)" in css
    assert "counter(pages)" in css
    assert css_string("หน้า ") in css
    assert css_string("พิมพ์เมื่อ 8 ธ.ค. 2569") in css


def test_the_stylesheet_is_for_members_only(db, nst):
    url = reverse("print-margins", args=[nst.code])
    member, stranger = Client(), Client()
    member.force_login(get_user_model().objects.get(username="nst-viewer"))
    stranger.force_login(get_user_model().objects.get(username="chon-viewer"))

    mine = member.get(url)

    assert mine.status_code == 200
    assert mine["Content-Type"].startswith("text/css")
    assert css_string(nst.name_th) in mine.content.decode()
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page
