"""Every form and query-parameter page takes malformed input without a server error.

Wrong types, huge and negative numbers, Thai digits and text, control characters, RTL marks,
NUL bytes, 100 kB strings and bytes that are not UTF-8 at all: the answer is < 500 and shows no
traceback.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.models import DengueCase

NST = "nakhon-si-thammarat"

SPECIAL = [
    "",
    " ",
    "0",
    "-1",
    "-99999999999999999999",
    "1e309",
    "NaN",
    "inf",
    "9" * 5000,
    "3.5",
    "๒๕๖๗-๐๑-๐๑",
    "2567-01-01",
    "2024-13-45",
    "0000-00-00",
    "9999-12-31",
    "2024-02-30",
    "ถนนราชดำเนิน",
    "\u202eabc\u202c",
    "\u200b",
    "\x00",
    "a\x00b",
    "\x1f\x7f\x1b[31m",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
    "x" * 100_000,
    "ก" * 30_000,
    "geojson",
    "csv",
    "html",
]
junk = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(lambda d: d.isoformat()),
)
# Raw query values, percent-encoded as bytes: invalid UTF-8 and encoded surrogates included.
raw_bytes = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80"]),
)
# MUEANG_FUZZ_EXAMPLES=300 for a longer hunt; the default keeps the file under a minute. The
# examples are the same on every run (tests/conftest.py); `make fuzz` draws new ones.
EXAMPLES = int(os.environ.get("MUEANG_FUZZ_EXAMPLES", "30"))
FAST = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
SLOW = settings(
    max_examples=max(1, EXAMPLES // 3),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def client_for(username: str | None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def assert_no_server_error(response) -> None:
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    assert response.status_code < 500, body[:500]
    assert b"Traceback" not in body


def query_string(params: dict[str, str | bytes]) -> str:
    return "&".join(f"{quote(name)}={quote(value, safe='')}" for name, value in params.items())


def fuzz_get(client: Client, path: str, names: list[str], config=FAST) -> None:
    """GET the page with any subset of its parameters set to junk (text or raw bytes)."""
    assert client.get(path).status_code == 200, f"{path} is not reachable: fuzzing would miss it"
    # Every known-hostile value in every parameter, every run; the random search comes on top.
    for name in names:
        for special in SPECIAL:
            assert_no_server_error(client.get(f"{path}?{query_string({name: special})}"))
    value = junk | raw_bytes

    @config
    @given(params=st.dictionaries(st.sampled_from([*names, "x"]), value, max_size=len(names) + 1))
    def run(params):
        assert_no_server_error(client.get(f"{path}?{query_string(params)}"))

    run()


def fuzz_post(client: Client, path: str, fields: dict[str, st.SearchStrategy], config=FAST):
    """POST the form with its fields valid, missing or junk, as a form and as raw bytes."""
    assert client.get(path).status_code in (200, 302, 405), f"{path} is not reachable"

    @config
    @given(
        data=st.fixed_dictionaries({}, optional={n: s | junk for n, s in fields.items()}),
        raw=st.none() | raw_bytes,
    )
    def run(data, raw):
        if raw is None:
            response = client.post(path, data)
        else:
            body = urlencode(data).encode() + b"&" + raw
            response = client.post(path, body, content_type="application/x-www-form-urlencoded")
        assert_no_server_error(response)

    run()


@override_settings(
    MUEANG_LOGIN_MAX_FAILURES_PER_USER=10**6, MUEANG_LOGIN_MAX_FAILURES_PER_ADDRESS=10**6
)
def test_login_form(db):
    fuzz_post(
        client_for(None),
        "/accounts/login/",
        {"username": st.sampled_from(["nst-viewer", "ผู้ใช้"]), "password": st.just("x" * 12)},
    )
    fuzz_get(client_for(None), "/accounts/login/", ["next"])


def test_language_switch(db):
    fuzz_post(
        client_for(None),
        "/i18n/setlang/",
        {"language": st.sampled_from(["th", "en", "fr"]), "next": st.sampled_from(["/", "/m/"])},
    )


def test_case_detail_purpose_form(nst):
    case = DengueCase.objects.filter(municipality=nst).order_by("pk").first()
    client = client_for("nst-health")
    fuzz_post(client, f"/m/{NST}/cases/{case.pk}/", {"purpose": st.sampled_from(["treatment"])})
    for case_id in (0, 2**63 - 1, 10**30):
        assert_no_server_error(client.get(f"/m/{NST}/cases/{case_id}/"))


def test_data_subject_requests_form(db):
    fuzz_post(
        client_for("nst-admin"),
        f"/m/{NST}/pdpa/requests/",
        {
            "national_id": st.sampled_from(["1101700203451", "๑๑๐๑๗๐๐๒๐๓๔๕๑"]),
            "phone": st.sampled_from(["0812345678", "+66812345678"]),
            "action": st.sampled_from(["export", "anonymise", "erase"]),
            "confirm": st.sampled_from(["on", "true"]),
        },
    )


@pytest.mark.parametrize("value", ["abc", "-", "ไม่มี", "\u202e", "()"])
def test_data_subject_request_without_digits_is_a_form_error(db, value):
    # Found by the fuzzing above: text without a digit passed the form, then failed (500).
    response = client_for("nst-admin").post(
        f"/m/{NST}/pdpa/requests/", {"national_id": value, "action": "export", "confirm": "on"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_dengue_pages_query_parameters(db):
    client = client_for("nst-health")
    fuzz_get(client, f"/m/{NST}/dengue/", ["as_of"], SLOW)
    fuzz_get(client, f"/m/{NST}/dengue/radius/", ["as_of"], SLOW)
    fuzz_get(client, f"/m/{NST}/dengue/spray/", ["date", "format"], SLOW)
    plan = json.loads(client.get(f"/m/{NST}/dengue/spray/?format=geojson").content)
    zone = plan["features"][0]["properties"]["zone_key"]
    fuzz_get(client, f"/m/{NST}/dengue/spray/{zone}/print/", ["date", "team"], SLOW)


def test_spray_round_form(db):
    client = client_for("nst-health")
    plan = json.loads(client.get(f"/m/{NST}/dengue/spray/?format=geojson").content)
    row = plan["features"][0]["properties"]
    fuzz_post(
        client,
        f"/m/{NST}/dengue/spray/",
        {
            "zone_key": st.sampled_from([row["zone_key"], "zone-1"]),
            "round": st.sampled_from(
                [f"{row['round_number']}:{row['planned_date']}", "2:2024-01-08", "x:y", ":"]
            ),
            "done_on": st.sampled_from([row["planned_date"], "2024-01-01"]),
            "team": st.sampled_from(["ทีม 1"]),
            "notes": st.sampled_from(["", "หมายเหตุ"]),
        },
        SLOW,
    )


def test_flood_pages_query_parameters(db):
    client = client_for("nst-disaster")
    fuzz_get(client, f"/m/{NST}/flood/", ["event"], SLOW)
    fuzz_get(client, f"/m/{NST}/flood/aid/", ["event", "subdistrict", "top", "format"], SLOW)


def test_needs_profile_form(db):
    number = st.sampled_from(["2.8", "0", "-1", "1e308", "1e-308", "๓", "NaN", "Infinity"])
    fields = ["rice_kg", "drinking_water_l", "clean_water_l", "people_per_family_kit"]
    fuzz_post(
        client_for("nst-disaster"),
        f"/m/{NST}/flood/needs/",
        dict.fromkeys([*fields, "people_per_toilet"], number),
    )


def test_open_dengue_counts_and_home_pages(db):
    fuzz_get(client_for(None), f"/open/{NST}/dengue/", ["as_of", "week", "format"])
    fuzz_get(client_for("nst-viewer"), f"/m/{NST}/map/", ["layer", "as_of"], SLOW)


def test_api_query_parameters(db):
    client = client_for("nst-planner")
    names = ["bbox", "datetime", "limit", "offset", "f", "road_class", "surface", "name_th"]
    fuzz_get(client, f"/api/collections/{NST}.roads/items", names)
    fuzz_get(client, f"/api/collections/{NST}.flood_zones/items", ["datetime", "event", "f"])
    fuzz_get(client, "/api/collections", ["f"])


@pytest.mark.parametrize("header", ["Token ", "Token \x1f", "Token " + "ก" * 1000, "Token a b"])
def test_api_token_header(db, header):
    response = Client(HTTP_HOST="127.0.0.1").get("/api/collections", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


@pytest.mark.parametrize("top", ["9" * 5000, "²", "0", "10000000"])
def test_a_top_that_is_not_a_small_whole_number_is_a_bad_request(db, top):
    # Found by the fuzzing above: int() of 5,000 digits raised, and "²" passes isdigit().
    response = client_for("nst-disaster").get(f"/m/{NST}/flood/aid/?top={quote(top)}")
    assert response.status_code == 400


def test_a_top_in_thai_digits_is_read(db):
    response = client_for("nst-disaster").get(f"/m/{NST}/flood/aid/?top=๒")
    assert response.status_code == 200
