"""Errors answer with Mueang's own 400/403/404/500 pages, Thai first, never Django's debug page.

`/m/<code>/catalogue/?q=%00` was a 500 (PostgreSQL text cannot hold NUL) and showed the debug
page on the demo; a NUL anywhere in the address or a URL-encoded form is now a 400.
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

NST = "nakhon-si-thammarat"
DEBUG_MARKERS = ("Traceback", "technical_500", "You’re seeing this error because", "DEBUG = True")


def client_for(username: str | None = None, language: str | None = None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    if language:
        client.cookies["django_language"] = language
    return client


def sections(response) -> list[tuple[str, str]]:
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return [(s["lang"], s.find(["h1", "h2"]).get_text(strip=True)) for s in soup.select("section")]


def assert_own_error_page(response, status: int, first: str = "th") -> BeautifulSoup:
    body = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    for marker in DEBUG_MARKERS:
        assert marker not in body
    soup = BeautifulSoup(body, "html.parser")
    assert soup.html["lang"] == first
    languages = [lang for lang, _heading in sections(response)]
    assert languages == ([first, "en"] if first == "th" else ["en", "th"])
    assert f"{status}" in soup.get_text()
    return soup


def boom(request):
    raise RuntimeError("secret detail that must not be shown")


def ok(request):
    return HttpResponse("ok")


urlpatterns = [path("boom/", boom), path("ok/", ok), path("", include("geoapp.urls"))]


@pytest.mark.parametrize("query", ["?q=%00", "?q=a%00b", "?division=%00", "?%00=x"])
def test_nul_in_the_catalogue_search_is_a_400_not_a_500(db, query):
    response = client_for("nst-viewer").get(f"/m/{NST}/catalogue/{query}")

    assert_own_error_page(response, 400)
    assert sections(response)[0][1] == "ระบบไม่เข้าใจคำขอนี้"


def test_nul_on_the_open_data_pages_and_in_a_form_is_a_400(db):
    anonymous = client_for()

    assert_own_error_page(anonymous.get(f"/open/{NST}/?q=%00"), 400)
    login = anonymous.post(
        "/accounts/login/",
        "username=nst-viewer%00&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert login.status_code in (400, 403)  # 403: no CSRF token, refused before the form
    assert "Traceback" not in login.content.decode()


def test_nul_under_the_api_is_a_json_400(db):
    response = client_for().get(f"/api/collections/{NST}.roads/items?bbox=%00")

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterValue"


def test_catalogue_search_still_works_without_nul(db):
    assert client_for("nst-viewer").get(f"/m/{NST}/catalogue/?q=roads").status_code == 200


def test_404_is_thai_first_and_english_on_request(db):
    thai = client_for("nst-viewer").get("/no-such-page/")
    english = client_for("nst-viewer", language="en").get("/no-such-page/")

    assert_own_error_page(thai, 404, first="th")
    assert_own_error_page(english, 404, first="en")
    assert sections(thai)[0][1] == "ไม่พบหน้านี้"
    assert sections(english)[0][1] == "Page not found"


def test_403_page(db):
    response = client_for("nst-viewer").get(f"/m/{NST}/dashboard/settings/")

    assert_own_error_page(response, 403)
    assert sections(response)[0][1] == "คุณไม่มีสิทธิ์เข้าถึงหน้านี้"


def test_csrf_failure_uses_the_403_page(db):
    client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "x", "password": "y"})

    soup = assert_own_error_page(response, 403)
    assert "CSRF" not in soup.get_text()


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize("language", ["th", "en"])
def test_500_page_hides_the_error(db, language):
    response = client_for("nst-viewer", language=language).get("/boom/")

    soup = assert_own_error_page(response, 500, first=language)
    headings = dict(sections(response))
    assert headings == {
        "th": "เกิดข้อผิดพลาดที่ฝั่งระบบ",
        "en": "Something went wrong on our side",
    }
    assert "secret detail" not in soup.get_text()
    assert "RuntimeError" not in soup.get_text()
