"""Each error a person can meet says in Thai what happened and what to do next (English on request).

Every situation is brought about for real: a role that may not open a page, an address that does
not exist, a request the guard refuses, the login throttle, a view that fails, and a database
server that does not answer.
"""

from __future__ import annotations

import socket

import psycopg2
import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import include, path

NST = "nakhon-si-thammarat"
LOGIN = "/accounts/login/"


def client_for(username: str | None = None, language: str | None = None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    if language:
        client.cookies["django_language"] = language
    return client


def first_section(response) -> tuple[str, str, str]:
    """(language, heading, text) of the page's first section: the visitor's language."""
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    section = soup.select("main section")[0]
    return section["lang"], section.find(["h1", "h2"]).get_text(strip=True), section.get_text(" ")


def view_that_fails(request):
    raise RuntimeError("internal detail that must stay hidden")


def view_whose_database_does_not_answer(request):
    """Connect to a PostgreSQL port where nothing listens: the driver's real OperationalError."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    psycopg2.connect(host="127.0.0.1", port=port, dbname="mueang", connect_timeout=2)


urlpatterns = [
    path("fails/", view_that_fails),
    path("database-gone/", view_whose_database_does_not_answer),
    path("", include("geoapp.urls")),
]


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("nst-planner", f"/m/{NST}/cases/"),  # case list: health officers and admins only
        ("nst-viewer", f"/m/{NST}/dashboard/settings/"),  # administrators only
        ("nst-health", f"/m/{NST}/pdpa/access-log/"),
    ],
)
def test_a_wrong_role_gets_a_thai_403_saying_whom_to_ask(db, username, path):
    response = client_for(username).get(path)

    assert response.status_code == 403
    language, heading, text = first_section(response)
    assert (language, heading) == ("th", "คุณไม่มีสิทธิ์เข้าถึงหน้านี้")
    assert "โปรดติดต่อผู้ดูแลระบบของเทศบาล" in text
    assert "Forbidden" not in response.content.decode()


def test_a_wrong_role_in_english_reads_english_first(db):
    response = client_for("nst-planner", language="en").get(f"/m/{NST}/cases/")

    assert response.status_code == 403
    language, heading, text = first_section(response)
    assert (language, heading) == ("en", "You do not have access to this page")
    assert "ask your municipality's administrator" in text


def test_an_unknown_page_is_a_thai_404_pointing_home(db):
    response = client_for("nst-planner").get(f"/m/{NST}/no-such-page/")

    assert response.status_code == 404
    language, heading, text = first_section(response)
    assert (language, heading) == ("th", "ไม่พบหน้านี้")
    assert "โปรดตรวจสอบที่อยู่" in text
    assert "ไปหน้าแรก" in text


def test_another_municipality_answers_the_same_404(db):
    """A page of a municipality the user is not a member of does not say it exists."""
    response = client_for("chon-planner").get(f"/m/{NST}/")

    assert response.status_code == 404
    assert first_section(response)[1] == "ไม่พบหน้านี้"


@pytest.mark.parametrize("query", ["?q=%00", "?division=a%00b"])
def test_a_malformed_request_is_a_thai_400_saying_to_check_and_retry(db, query):
    response = client_for("nst-planner").get(f"/m/{NST}/catalogue/{query}")

    assert response.status_code == 400
    language, heading, text = first_section(response)
    assert (language, heading) == ("th", "ระบบไม่เข้าใจคำขอนี้")
    assert "โปรดตรวจสอบแล้วลองอีกครั้ง" in text


@override_settings(MUEANG_LOGIN_MAX_FAILURES_PER_USER=3)
def test_the_login_throttle_answers_429_in_thai_with_how_long_to_wait(db):
    client = Client(HTTP_HOST="127.0.0.1")
    for _ in range(3):
        client.post(LOGIN, {"username": "nst-planner", "password": "wrong-password"})

    response = client.post(LOGIN, {"username": "nst-planner", "password": "wrong-again"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    assert soup.html["lang"] == "th"
    message = soup.select_one("form.login .errorlist").get_text(" ", strip=True)
    assert message.startswith("เข้าสู่ระบบไม่สำเร็จหลายครั้งเกินไป กรุณารอ ")
    assert message.endswith("นาทีแล้วลองใหม่")


@override_settings(MUEANG_LOGIN_MAX_FAILURES_PER_USER=3)
def test_the_login_throttle_in_english_says_it_in_english(db):
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["django_language"] = "en"
    for _ in range(4):
        response = client.post(LOGIN, {"username": "nst-health", "password": "wrong-password"})

    assert response.status_code == 429
    message = BeautifulSoup(response.content.decode(), "html.parser").select_one(
        "form.login .errorlist"
    )
    assert "Too many failed attempts. Please wait" in message.get_text()


@override_settings(ROOT_URLCONF=__name__)
def test_a_failing_page_is_a_thai_500_that_hides_the_error(db):
    response = client_for("nst-planner").get("/fails/")

    assert response.status_code == 500
    language, heading, text = first_section(response)
    assert (language, heading) == ("th", "เกิดข้อผิดพลาดที่ฝั่งระบบ")
    assert "โปรดลองใหม่ภายหลัง" in text
    assert "internal detail" not in response.content.decode()


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("language", "first", "heading"),
    [
        ("th", "th", "ฐานข้อมูลไม่พร้อมใช้งานชั่วคราว"),
        ("en", "th", "ฐานข้อมูลไม่พร้อมใช้งานชั่วคราว"),  # the 503 page is always Thai first
    ],
)
def test_a_database_that_does_not_answer_is_a_thai_503_with_when_to_retry(
    db, language, first, heading
):
    response = client_for(language=language).get("/database-gone/")

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    section_language, section_heading, text = first_section(response)
    assert (section_language, section_heading) == (first, heading)
    assert f"กรุณาลองใหม่อีกครั้งในอีก {response['Retry-After']} วินาที" in text
    assert "The database is temporarily unavailable" in response.content.decode()
