"""The office's larval pages on the demo: per role, per round, exports, bands, hostile input."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from layers.dengue.selectors import dengue_situation
from layers.field.office import ZoneOutline, larval_indices_by_zone
from layers.field.selectors import larval_indices_for
from layers.models import DengueCase, LarvalRiskBands

NST = "nakhon-si-thammarat"
CHON = "chon-buri"


def client_for(username: str, *, language: str = "en") -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    client.cookies["django_language"] = language
    return client


def larval_url(code: str = NST, **query: str) -> str:
    base = reverse("dengue-larval", kwargs={"code": code})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def bands_url(code: str = NST) -> str:
    return reverse("dengue-larval-bands", kwargs={"code": code})


@pytest.fixture
def survey_day(nst):
    """The generated cases' last report date: the demo surveyed the zones open on that day."""
    return DengueCase.objects.filter(municipality=nst).latest("report_date").report_date


def test_health_officer_sees_zone_keys_and_positive_houses(db, survey_day):
    response = client_for("nst-health").get(larval_url(date=survey_day.isoformat()))
    assert response.status_code == 200
    page = response.content.decode()
    zones = response.context["zones"]
    assert zones
    assert all(row.label.startswith("z") for row in zones)
    assert response.context["n_positive_houses"] > 0
    assert "Houses with larvae" in page
    assert reverse("dengue-work-order", args=[NST, zones[0].key]) in page


def test_a_viewer_sees_zones_unnamed_and_no_house(db, survey_day, nst):
    response = client_for("nst-viewer").get(larval_url(date=survey_day.isoformat()))
    assert response.status_code == 200
    page = response.content.decode()
    zones = response.context["zones"]
    assert zones
    assert all(not row.key and row.label.startswith("Zone ") for row in zones)
    assert response.context["n_positive_houses"] == 0
    assert "Houses with larvae" not in page
    keys = set(dengue_situation(municipality=nst, on=survey_day).zones["key"])
    assert not any(key in page for key in keys)


def test_volunteers_and_other_municipalities_get_nothing(db):
    assert client_for("nst-volunteer").get(larval_url()).status_code in (403, 404)
    assert client_for("chon-health").get(larval_url()).status_code == 404
    assert client_for("chon-admin").get(bands_url()).status_code == 404
    assert client_for("nst-viewer").get(bands_url()).status_code in (403, 404)


def test_the_page_shows_the_indices_of_the_rule_per_round(db, nst):
    client = client_for("nst-planner")
    for round_number in (1, 2):
        response = client.get(larval_url(round=str(round_number)))
        assert response.status_code == 200
        want = larval_indices_for(municipality=nst, round_number=round_number).total
        got = response.context["total_rows"][0]
        assert got.indices == want
        assert (got.hi, got.ci, got.bi) == tuple(round(v, 2) for v in (want.hi, want.ci, want.bi))


def test_zone_rows_equal_the_pure_rule(db, nst, survey_day):
    response = client_for("nst-health").get(larval_url(date=survey_day.isoformat()))
    situation = dengue_situation(municipality=nst, on=survey_day)
    zones = situation.active_zones.to_crs(4326)
    outlines = [ZoneOutline(k, g) for k, g in zip(zones["key"], zones.geometry, strict=True)]
    pure = larval_indices_by_zone(municipality=nst, zones=outlines)
    assert [(r.key, r.round_number, r.indices) for r in response.context["zones"]] == [
        (z.zone_key, z.round_number, z.indices) for z in pure
    ]


def test_the_thai_page_speaks_thai_with_buddhist_dates(db, survey_day):
    response = client_for("nst-health", language="th").get(larval_url(date=survey_day.isoformat()))
    page = response.content.decode()
    assert "การสำรวจลูกน้ำยุงลาย" in page
    assert "2569" in page
    assert "Larval surveys" not in page
    for english in ("Open spray zones", "Houses with larvae", "Whole municipality", "all rounds"):
        assert english not in page
    dashboard = client_for("nst-health", language="th").get(
        reverse("dengue-dashboard", kwargs={"code": NST}) + f"?as_of={survey_day.isoformat()}"
    )
    text = dashboard.content.decode()
    assert "ดัชนีลูกน้ำยุงลายในพื้นที่พ่นสารเคมีที่ยังเปิดอยู่" in text
    assert "Surveys and spraying" not in text


@pytest.mark.parametrize(
    "query",
    [
        {"round": "abc"},
        {"round": "0"},
        {"round": "100000000000000000000"},
        {"round": "1;DROP"},
        {"date": "2026-13-40"},
        {"date": "2999-01-01"},
        {"format": "xlsx"},
        {"level": "house"},
        {"format": "csv", "level": "surveyor"},
    ],
)
def test_hostile_parameters_answer_400(db, query):
    response = client_for("nst-health").get(larval_url(**query))
    assert response.status_code == 400


def test_csv_export_is_formula_safe_and_has_no_house(db, nst):
    response = client_for("nst-viewer").get(larval_url(format="csv", level="place"))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["level", "name", "round"]
    want = larval_indices_for(municipality=nst, by="place")
    assert [r[1] for r in body] == [str(v) for v, _ in want.groups]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in body for cell in row[1:2])


def test_a_place_named_like_a_formula_is_escaped_in_the_csv(db, nst):
    from layers.models import HouseSurvey, SurveyPlace

    survey = HouseSurvey.objects.filter(municipality=nst, status="surveyed").first()
    SurveyPlace.objects.filter(pk=survey.place_id).update(name='=HYPERLINK("http://x")')
    response = client_for("nst-health").get(larval_url(format="csv", level="place"))
    text = response.content.decode("utf-8-sig")
    assert "=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text
    assert ",=HYPERLINK" not in text


def test_geojson_export_per_zone_for_a_viewer_uses_published_outlines(db, nst, survey_day):
    query = {"format": "geojson", "level": "zone", "date": survey_day.isoformat()}
    viewer = client_for("nst-viewer").get(larval_url(**query))
    health = client_for("nst-health").get(larval_url(**query))
    assert viewer.status_code == health.status_code == 200
    seen, exact = json.loads(viewer.content), json.loads(health.content)
    assert len(seen["features"]) == len(exact["features"]) > 0
    assert all(f["properties"]["name"].startswith("Zone ") for f in seen["features"])
    assert all(f["properties"]["name"].startswith("z") for f in exact["features"])
    # The same counts for both; the viewer's outline is the published one, not the exact zone.
    assert [f["properties"]["hi"] for f in seen["features"]] == [
        f["properties"]["hi"] for f in exact["features"]
    ]
    assert seen["features"][0]["geometry"] != exact["features"][0]["geometry"]
    assert set(seen["features"][0]["properties"]) == set(exact["features"][0]["properties"])


def test_the_dashboard_shows_zone_indices_and_331_progress(db, survey_day):
    response = client_for("nst-health").get(
        reverse("dengue-dashboard", kwargs={"code": NST}) + f"?as_of={survey_day.isoformat()}"
    )
    assert response.status_code == 200
    rows = response.context["larval_zone_rows"]
    assert rows
    assert {r.round_number for r in rows} == {1, 2}
    progress = response.context["larval_progress"]
    assert progress
    assert all(p.houses_surveyed <= p.houses_visited for p in progress)
    assert "Surveys and spraying against the 3-3-1 clocks" in response.content.decode()


def test_the_work_order_shows_its_zones_indices(db, survey_day):
    client = client_for("nst-health")
    dashboard = client.get(
        reverse("dengue-dashboard", kwargs={"code": NST}) + f"?as_of={survey_day.isoformat()}"
    )
    row = dashboard.context["larval_zone_rows"][0]
    response = client.get(
        reverse("dengue-work-order", args=[NST, row.key]) + f"?date={survey_day.isoformat()}"
    )
    assert response.status_code == 200
    assert [r.key for r in response.context["larval_rows"]] == [row.key] * len(
        response.context["larval_rows"]
    )
    assert "Larval indices in this zone" in response.content.decode()


def test_bands_are_saved_as_new_versions_and_used(db, nst):
    client = client_for("nst-health")
    assert client.get(bands_url()).status_code == 200
    before = LarvalRiskBands.objects.filter(municipality=nst).count()
    for hi_low in ("5", "7.5"):
        response = client.post(
            bands_url(),
            {"hi_low_max": hi_low, "hi_moderate_max": "40", "ci_low_max": "1",
             "ci_moderate_max": "10", "source": "มติคณะกรรมการ"},
        )  # fmt: skip
        assert response.status_code == 302
    saved = LarvalRiskBands.objects.filter(municipality=nst)
    assert saved.count() == before + 2
    assert saved.first().hi_low_max == 7.5
    page = client.get(larval_url()).context
    assert page["thresholds"].hi_low_max == 7.5
    history = client.get(bands_url()).context["history"]
    assert [b.hi_low_max for b in history][:2] == [7.5, 5.0]


@pytest.mark.parametrize(
    "values",
    [
        {"hi_low_max": "60", "hi_moderate_max": "40"},
        {"hi_low_max": "nan"},
        {"hi_low_max": "1e400"},
        {"hi_low_max": "-1"},
        {"ci_moderate_max": "101"},
        {"ci_low_max": "<script>"},
        {"ci_low_max": ""},
    ],
)
def test_bad_bands_save_nothing(db, nst, values):
    form = {"hi_low_max": "10", "hi_moderate_max": "50", "ci_low_max": "0", "ci_moderate_max": "5"}
    before = LarvalRiskBands.objects.filter(municipality=nst).count()
    response = client_for("nst-admin").post(bands_url(), {**form, **values})
    assert response.status_code == 400
    assert LarvalRiskBands.objects.filter(municipality=nst).count() == before
    assert "<script>" not in response.content.decode().split("</form>")[0].split("<form")[1]


def test_chon_buri_without_buildings_or_cases_shows_its_places(db, chon):
    response = client_for("chon-health").get(larval_url(CHON))
    assert response.status_code == 200
    assert response.context["places"]
    assert response.context["zones"] == []
    assert response.context["total_rows"][0].indices.houses_surveyed > 0


def test_a_place_named_like_a_script_is_shown_as_text(db, nst, survey_day):
    from layers.models import HouseSurvey, SurveyPlace

    survey = HouseSurvey.objects.filter(municipality=nst, status="surveyed").first()
    SurveyPlace.objects.filter(pk=survey.place_id).update(name="<script>alert(1)</script>")
    for username in ("nst-health", "nst-viewer"):
        response = client_for(username).get(larval_url(date=survey_day.isoformat()))
        page = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
