"""The Thai user manual at /help/: one page per role with a table of contents and screenshots."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.test import Client

from geoapp.help.manuals import MANUALS, manual_read, manuals_dir, markdown_render

ROLES = list(MANUALS)


def client_for(username: str | None = None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_help_index_links_every_role_manual(db):
    response = client_for().get("/help/")

    assert response.status_code == 200
    soup = soup_of(response)
    assert soup.h1.get_text(strip=True) == "คู่มือการใช้งานระบบเมือง"
    body_links = {a["href"] for a in soup.select("article.help-body a")}
    assert {f"/help/{role}/" for role in ROLES} <= body_links


@pytest.mark.parametrize("role", ROLES)
def test_each_role_manual_has_a_table_of_contents_pointing_at_its_sections(db, role):
    response = client_for("nst-planner").get(f"/help/{role}/")

    assert response.status_code == 200
    soup = soup_of(response)
    assert soup.html["lang"] == "th"
    toc = [a["href"] for a in soup.select(".help-toc a")]
    sections = {f"#{h['id']}" for h in soup.select("article.help-body h2[id]")}
    assert len(toc) >= 1
    assert set(toc) >= sections
    assert soup.select_one(f".help-roles a[href='/help/{role}/']")["aria-current"] == "page"


@pytest.mark.parametrize("role", ROLES)
def test_every_screenshot_a_manual_shows_is_served(db, role):
    soup = soup_of(client_for().get(f"/help/{role}/"))
    sources = [img["src"] for img in soup.select("article.help-body img")]

    assert sources, f"the {role} manual shows no screenshot"
    for source in sources:
        assert re.fullmatch(r"/help/img/[a-z0-9-]+\.png", source)
        image = client_for().get(source)
        assert image.status_code == 200, source
        assert image["Content-Type"] == "image/png"
        assert b"".join(image.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"


def test_manuals_say_what_is_not_built_yet():
    volunteer = manual_read("volunteer").html

    assert "ยังไม่มี" in volunteer
    for role in ROLES:
        assert "ยังไม่มี" in manual_read(role).html, role


def test_links_between_manuals_open_the_manual_pages():
    html = manual_read("health").html

    assert 'href="/help/planner/#นำเข้าข้อมูลจากไฟล์"' in html
    assert 'href="/help/volunteer/"' in html
    assert ".md" not in " ".join(a["href"] for a in BeautifulSoup(html, "html.parser")("a"))


def test_raw_html_in_the_markdown_is_shown_as_text_not_run():
    manual = markdown_render(
        "# หัวเรื่อง\n\n<script>alert(1)</script>\n\nข้อความ <img src=x onerror=alert(2)> ต่อ\n"
    )

    soup = BeautifulSoup(manual.html, "html.parser")
    assert soup.find("script") is None
    assert soup.find("img") is None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in manual.html
    assert "<script>alert(1)</script>" in soup.get_text()


@pytest.mark.parametrize(
    "path",
    [
        "/help/img/../../README.md",
        "/help/img/%2e%2e%2fREADME.md",
        "/help/img/no-such-screenshot.png",
        "/help/img/login.PNG",
        "/help/img/.hidden.png",
    ],
)
def test_only_existing_screenshots_are_served_from_the_image_folder(db, path):
    assert client_for().get(path).status_code == 404


def test_unknown_role_is_a_404(db):
    assert client_for().get("/help/mayor/").status_code == 404
    assert client_for().get("/help/index/").status_code == 404


def test_every_page_header_links_to_the_help(db):
    for username, path in [
        (None, "/"),
        ("nst-planner", "/m/nakhon-si-thammarat/"),
        ("nst-health", "/m/nakhon-si-thammarat/dengue/"),
    ]:
        soup = soup_of(client_for(username).get(path))
        link = soup.select_one("header.site-header a.help-link")
        assert link is not None, path
        assert link["href"] == "/help/"
        assert link.get_text(strip=True) == "คู่มือ"


def test_help_in_english_says_the_manual_is_thai_only(db):
    client = client_for()
    client.cookies["django_language"] = "en"

    soup = soup_of(client.get("/help/planner/"))

    assert soup.select_one("header.site-header a.help-link").get_text(strip=True) == "Help"
    assert "The user manual is in Thai only for now." in soup.get_text()
    assert soup.select_one(".help-toc h2").get_text(strip=True) == "Contents"


def test_manual_folder_holds_one_file_per_role_and_an_index():
    names = {path.name for path in manuals_dir().glob("*.md")}

    assert names == {"index.md", *MANUALS.values()}
