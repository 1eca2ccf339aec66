"""Printed pages on A4 from Debian's chromium (issue 17): page count, running head and foot,
no stray Thai marks.

Chromium prints the CSS page-margin boxes of `print_page_margins` when a user prints from the
browser; `page.pdf()` runs the same print path. poppler-utils (`pdfinfo`, `pdftotext`) reads
the PDFs back.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from layers.dengue.selectors import dengue_situation, spray_plan
from layers.models import DengueCase, Municipality
from tests.e2e.test_phone_width import PLAN_DAY

NST = "nakhon-si-thammarat"
#: Thai vowels and tone marks written above or below a consonant, never on their own.
THAI_MARKS = re.compile(r"^[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]+$")


def _work_order() -> str:
    municipality = Municipality.objects.get(code=NST)
    plan = spray_plan(dengue_situation(municipality=municipality, on=PLAN_DAY), published=True)
    # The zone with the most streets and landmarks: the fullest sheet.
    entry = max(plan.rounds, key=lambda e: (len(e.zone.streets), len(e.zone.landmarks)))
    return f"/m/{NST}/dengue/spray/{entry.zone.key}/print/?date={PLAN_DAY}&team=2"


# name -> (path or a function returning it, user, pages: exact number or None for any)
PRINTABLE = {
    "work-order": (_work_order, "nst-health", 1),
    "spray-plan": (f"/m/{NST}/dengue/spray/?date={PLAN_DAY}", "nst-health", None),
    "aid-list": (f"/m/{NST}/flood/aid/?top=120", "nst-disaster", None),
    "impassable-roads": (f"/m/{NST}/flood/roads/", "nst-disaster", None),
    "relief-register": (f"/m/{NST}/flood/relief/print/", "nst-disaster", None),
}


def _pdf_of(visit, path: str, user: str, out: Path) -> Path:
    visit.page.context.add_cookies(
        [{"name": "django_language", "value": "th", "url": visit.base_url}]
    )
    visit.login(user)
    response = visit.goto(path)
    assert response.status == 200, path
    visit.page.wait_for_load_state("networkidle")
    visit.page.evaluate("document.fonts.ready")
    out.write_bytes(visit.page.pdf(format="A4", prefer_css_page_size=True))
    return out


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def _page_text(pdf: Path, number: int) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(number), "-l", str(number), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _words(pdf: Path) -> list[tuple[str, float, float, float, float, float]]:
    """(text, x_min, y_min, x_max, y_max, page height) of every word pdftotext finds."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = []
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.S):
        height = float(page.group(2))
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            page.group(3),
        ):
            words.append((m.group(5), *(float(m.group(i)) for i in range(1, 5)), height))
    return words


@pytest.mark.parametrize("name", PRINTABLE)
def test_printable_pages_fit_a4_with_numbers_date_and_municipality(visit, tmp_path, name):
    path, user, expected_pages = PRINTABLE[name]
    path = path() if callable(path) else path
    municipality = Municipality.objects.get(code=NST)

    pdf = _pdf_of(visit, path, user, tmp_path / f"{name}.pdf")

    pages = _pages(pdf)
    if expected_pages is not None:
        assert pages == expected_pages, (
            f"{name} prints on {pages} pages; the last starts: {_page_text(pdf, pages)[:300]}"
        )
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert sorted(round(float(side)) for side in size.groups()) == [595, 842]  # A4, in points
    for number in range(1, pages + 1):
        text = _page_text(pdf, number)
        assert f"หน้า {number} / {pages}" in text, f"{name}: no page number on page {number}"
        assert municipality.name_th in text, f"{name}: no municipality on page {number}"
        assert "พิมพ์เมื่อ" in text, f"{name}: no date on page {number}"


@pytest.mark.parametrize("name", ["work-order", "aid-list"])
def test_no_thai_mark_is_cut_from_its_letter_or_printed_outside_the_sheet(visit, tmp_path, name):
    """A tone mark left alone (its consonant on the next page, or the line clipped) is the
    'stray tone marks at the page foot' of the issue; every word must sit inside the sheet."""
    path, user, _pages_expected = PRINTABLE[name]
    path = path() if callable(path) else path

    words = _words(_pdf_of(visit, path, user, tmp_path / f"{name}.pdf"))

    assert len(words) > 50
    stray = [w for w in words if THAI_MARKS.match(w[0])]
    assert stray == []
    outside = [w for w in words if w[2] < 0 or w[4] > w[5]]
    assert outside == []


def test_work_order_prints_its_thai_heading_and_zone_name_whole(visit, tmp_path):
    path = _work_order()
    key = path.split("/spray/")[1].split("/")[0]

    text = _page_text(_pdf_of(visit, path, "nst-health", tmp_path / "order.pdf"), 1)

    assert "ใบสั่งงาน" in text
    assert re.search(r"โซน \d+: \S+", text)
    assert key in text  # the code, small, for matching the paper with the screen
    assert DengueCase.objects.exists()
