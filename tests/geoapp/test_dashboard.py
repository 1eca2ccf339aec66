"""Home pages: where each role lands, the infrastructure dashboard's figures, its settings.

Expected figures are computed here independently of the selectors: road lengths with pyproj's
geodesic on the WGS 84 ellipsoid over the geometries the ORM returns, counts with Python.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pyproj import Geod
from shapely import wkb

from geoapp.home.dashboard import dashboard_save
from geoapp.models import DashboardConfig, DashboardWidget, Membership, Role
from geoapp.web.permissions import ROLE_ACTIONS, Action
from layers.catalogue.selectors import DatasetAccess
from layers.home.selectors import MEMBER_ACCESS, data_freshness, recent_changes, road_km
from layers.imports import layer_import
from layers.models import Building, Dataset, DengueCase, Landmark, Road
from layers.tenancy import tenant_scope
from tests.catalogue import thai_catalogue
from tests.layers.import_data import roads_frame, write_geojson

NST = "nakhon-si-thammarat"
PASSWORD = "mueang-demo-2569"
WGS84_GEOD = Geod(ellps="WGS84")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Road sums and the map are cached per data version; a rolled-back test must not leave one."""
    cache.clear()
    yield
    cache.clear()


def client_for(username: str, language: str = "th") -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    client.cookies["django_language"] = language
    return client


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def geodesic_km_by(municipality, field: str) -> dict[str, float]:
    """Road km per value of `field`, measured with pyproj on the ellipsoid (not PostGIS)."""
    totals: dict[str, float] = defaultdict(float)
    for value, geom in Road.objects.filter(municipality=municipality).values_list(field, "geom"):
        line = wkb.loads(bytes(geom.wkb))
        totals[value or ""] += WGS84_GEOD.geometry_length(line) / 1000.0
    return dict(totals)


# --- where each role lands -------------------------------------------------------------------


def login(username: str, next_url: str = "") -> str:
    client = Client(HTTP_HOST="127.0.0.1")
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    response = client.post(url, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("nst-viewer", f"/m/{NST}/"),
        ("nst-planner", f"/m/{NST}/"),
        ("nst-editor", f"/m/{NST}/"),
        ("nst-admin", f"/m/{NST}/"),
        ("nst-health", f"/m/{NST}/dengue/"),
        ("nst-disaster", f"/m/{NST}/flood/"),
        ("chon-health", "/m/chon-buri/dengue/"),
    ],
)
def test_each_role_lands_on_its_dashboard_after_logging_in(db, username, home):
    assert login(username) == home


def test_a_member_of_several_municipalities_lands_on_the_chooser(db, chon):
    user = get_user_model().objects.get(username="nst-planner")
    Membership.objects.create(user=user, municipality=chon, role=Role.VIEWER)

    assert login("nst-planner") == reverse("municipality-list")


def test_the_next_parameter_still_wins(db):
    assert login("nst-health", next_url=f"/m/{NST}/map/") == f"/m/{NST}/map/"


def test_a_user_with_no_membership_lands_on_the_chooser(db):
    get_user_model().objects.create_user("nobody-yet", password=PASSWORD)

    assert login("nobody-yet") == reverse("municipality-list")


def test_the_chooser_links_each_municipality_to_the_users_dashboard_there(db, chon):
    user = get_user_model().objects.get(username="nst-health")
    Membership.objects.create(user=user, municipality=chon, role=Role.DISASTER_OFFICER)

    links = {a["href"] for a in soup(client_for("nst-health").get("/m/")).select(".card h2 a")}

    assert links == {f"/m/{NST}/dengue/", "/m/chon-buri/flood/"}


def test_only_administrators_see_the_customise_link(db):
    admin = soup(client_for("nst-admin").get(f"/m/{NST}/"))
    planner = soup(client_for("nst-planner").get(f"/m/{NST}/"))

    assert admin.select_one("#customise-dashboard")["href"] == f"/m/{NST}/dashboard/settings/"
    assert planner.select_one("#customise-dashboard") is None


def test_only_administrators_may_manage_the_dashboard():
    assert [role for role, acts in ROLE_ACTIONS.items() if Action.MANAGE_DASHBOARD in acts] == [
        Role.ADMIN
    ]


# --- the widgets' figures --------------------------------------------------------------------


def test_road_km_by_class_equals_the_geodesic_length_of_every_road(nst):
    expected = geodesic_km_by(nst, "road_class")

    found = road_km(municipality=nst).by_class

    assert set(found) == set(expected)
    for road_class, km in expected.items():
        assert found[road_class] == pytest.approx(km, rel=1e-6), road_class
    # The demo town has about 250 km of mapped road (degrees would give well under 1).
    assert 100 < sum(found.values()) < 1000


def test_road_km_by_surface_equals_the_geodesic_length_of_every_road(chon):
    expected = geodesic_km_by(chon, "surface")

    found = road_km(municipality=chon).by_surface

    assert {"asphalt", "concrete", ""} <= set(found)
    assert set(found) == set(expected)
    for surface, km in expected.items():
        assert found[surface] == pytest.approx(km, rel=1e-6), surface


def test_lengths_are_geodesic_not_utm_which_is_shorter_here(nst):
    """UTM 47N shrinks lengths by ~0.03 % this far from its central meridian (99 E)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT SUM(ST_Length(ST_Transform(geom, %s))) / 1000.0 FROM layers_road "
            "WHERE municipality_id = %s",
            [nst.metric_srid, nst.pk],
        )
        utm_km = float(cursor.fetchone()[0])

    geodesic_km = sum(road_km(municipality=nst).by_class.values())

    assert geodesic_km == pytest.approx(utm_km, rel=1e-3)
    assert geodesic_km > utm_km


def test_the_dashboard_shows_the_figures_formatted_for_thai_readers(nst):
    total_km = sum(geodesic_km_by(nst, "road_class").values())
    landmarks = Counter(
        Landmark.objects.filter(municipality=nst).values_list("category", flat=True)
    )

    page = soup(client_for("nst-planner").get(f"/m/{NST}/"))

    assert page.select_one("[data-total-km]").get_text(strip=True) == f"{total_km:,.1f}"
    rows = page.select("#widget-landmarks_by_category tbody tr")
    labels = dict(Landmark.Category.choices)
    with translation.override("th"):
        expected = {str(labels[k]): str(n) for k, n in landmarks.items()}
    assert {
        r.select("td")[0].get_text(strip=True): r.select("td")[1].get_text(strip=True) for r in rows
    } == expected
    buildings = Building.objects.filter(municipality=nst).count()
    assert buildings > 1000
    assert f"{buildings:,}" in page.select_one("#widget-layer_counts").get_text()
    assert page.find("html")["lang"] == "th"
    assert "ความยาวถนนตามประเภท" in page.get_text()


def test_the_dengue_case_count_shows_only_to_roles_that_see_cases(db):
    health = soup(client_for("nst-health").get(f"/m/{NST}/")).select_one("#widget-layer_counts")
    planner = soup(client_for("nst-planner").get(f"/m/{NST}/")).select_one("#widget-layer_counts")

    assert len(health.select("tr")) == 3
    assert len(planner.select("tr")) == 2


def test_data_freshness_flags_divisions_with_nothing_updated_within_the_limit(nst):
    now = timezone.now()
    Dataset.objects.filter(municipality=nst, division="สำนักปลัดเทศบาล").update(
        updated_at=now - timedelta(days=400)
    )
    roads = Dataset.objects.get(municipality=nst, kind=Dataset.Kind.ROADS)
    Dataset.objects.filter(pk=roads.pk).update(updated_at=now - timedelta(days=400))
    member = DatasetAccess(internal=True)

    rows = {
        r.division: r
        for r in data_freshness(municipality=nst, access=member, now=now, stale_after_days=365)
    }

    expected = defaultdict(lambda: [0, 0])
    for dataset in Dataset.objects.filter(municipality=nst).filter(member.readable()):
        expected[dataset.division][0] += 1
        expected[dataset.division][1] += dataset.updated_at < now - timedelta(days=365)
    assert {d: [r.datasets, r.stale_datasets] for d, r in rows.items()} == dict(expected)
    assert rows["สำนักปลัดเทศบาล"].is_stale
    assert not rows["กองช่าง"].is_stale  # buildings are recent, roads are not
    assert rows["กองช่าง"].stale_datasets == 1
    assert "กองสาธารณสุขและสิ่งแวดล้อม" not in rows  # the case dataset: not for members
    # Stale divisions come first on the page.
    assert next(iter(rows.values())).is_stale


def test_the_freshness_widget_marks_stale_divisions_and_hides_what_the_role_may_not_read(nst):
    Dataset.objects.filter(municipality=nst, division="สำนักปลัดเทศบาล").update(
        updated_at=timezone.now() - timedelta(days=400)
    )

    planner = soup(client_for("nst-planner").get(f"/m/{NST}/"))
    health = soup(client_for("nst-health").get(f"/m/{NST}/"))

    stale = planner.select("#widget-data_freshness li.stale")
    assert [row["data-division"] for row in stale] == ["สำนักปลัดเทศบาล"]
    divisions = {r["data-division"] for r in planner.select("#widget-data_freshness li")}
    assert "กองสาธารณสุขและสิ่งแวดล้อม" not in divisions
    health_divisions = {r["data-division"] for r in health.select("#widget-data_freshness li")}
    assert "กองสาธารณสุขและสิ่งแวดล้อม" in health_divisions
    # Buddhist-era year on the page.
    assert (
        str(timezone.localdate().year + 543)
        in planner.select_one("#widget-data_freshness .freshness").get_text()
    )


def _transaction_start():
    """now() in PostgreSQL: the time the test's transaction began, which history entries carry."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def _name(user) -> str:
    return user.get_full_name() or user.username


def test_recent_changes_list_a_feature_edit_and_a_dataset_update_newest_first(nst):
    Dataset.objects.filter(municipality=nst).update(updated_at=timezone.now() - timedelta(days=30))
    planner = get_user_model().objects.get(username="nst-planner")
    editor = get_user_model().objects.get(username="nst-editor")
    with tenant_scope(municipality_ids=[nst.pk], user_id=planner.pk):
        landmark = Landmark.objects.filter(municipality=nst).first()
        landmark.name_en = "Renamed for the test"
        landmark.save()
        case = DengueCase.objects.filter(municipality=nst).first()
        DengueCase.objects.filter(pk=case.pk).update(updated_at=timezone.now())
    dataset = Dataset.objects.get(municipality=nst, kind=Dataset.Kind.ROADS)
    dataset.updated_by = editor
    dataset.description = "Checked on site"
    dataset.save()

    changes = recent_changes(nst, 5)

    assert len(changes) == 5
    assert [c.at for c in changes] == sorted((c.at for c in changes), reverse=True)
    newest = {(c.kind, c.op, c.count, c.by) for c in changes[:2]}
    assert ("landmarks", "update", 1, _name(planner)) in newest
    assert ("dataset", "", 1, _name(editor)) in newest
    [dataset_change] = [c for c in changes[:2] if c.kind == "dataset"]
    assert dataset_change.title == dataset.title
    assert all(c.kind != "cases" for c in recent_changes(nst, 50))


def test_recent_changes_group_a_days_changes_per_kind_and_person_deletes_included(nst):
    planner = get_user_model().objects.get(username="nst-planner")
    editor = get_user_model().objects.get(username="nst-editor")
    ids = list(Road.objects.filter(municipality=nst).order_by("id").values_list("id", flat=True))
    with tenant_scope(municipality_ids=[nst.pk], user_id=planner.pk):
        Road.objects.filter(id__in=ids[:7]).update(name_en="Checked on site")
    with tenant_scope(municipality_ids=[nst.pk], user_id=editor.pk):
        Road.objects.filter(id__in=ids[7:9]).update(name_en="Checked again")
        Road.objects.filter(id=ids[9]).delete()
    started = _transaction_start()

    roads = [c for c in recent_changes(nst, 50) if c.kind == "roads" and c.at >= started]

    assert sorted((c.op, c.by, c.count) for c in roads) == [
        ("delete", _name(editor), 1),
        ("update", _name(editor), 2),
        ("update", _name(planner), 7),
    ]


def test_an_import_is_one_line_with_its_file_and_who_ran_it(nst, tmp_path):
    planner = get_user_model().objects.get(username="nst-planner")
    path = write_geojson(roads_frame(6), tmp_path / "survey-2569.geojson")
    layer_import(municipality=nst, kind="roads", path=path, dataset_slug="survey", user=planner)
    started = _transaction_start()

    [line] = [c for c in recent_changes(nst, 50) if c.kind == "roads" and c.at >= started]

    assert (line.op, line.count, line.file, line.by) == (
        "insert",
        6,
        "survey-2569.geojson",
        _name(planner),
    )


def test_changes_in_a_dataset_the_caller_may_not_read_are_left_out(nst, tmp_path):
    path = write_geojson(roads_frame(4), tmp_path / "internal-roads.geojson")
    report = layer_import(municipality=nst, kind="roads", path=path, dataset_slug="inner")
    Dataset.objects.filter(slug="inner", municipality=nst).update(
        visibility=Dataset.Visibility.PRIVATE
    )
    started = _transaction_start()

    def lines(access):
        return [c for c in recent_changes(nst, 50, access=access) if c.at >= started]

    assert report.created == 4
    assert [c.count for c in lines(DatasetAccess(internal=True, private=True)) if c.op] == [4]
    assert [c for c in lines(MEMBER_ACCESS) if c.op] == []


def test_the_home_page_names_deleted_features_and_the_import_file(nst, tmp_path):
    path = write_geojson(roads_frame(3), tmp_path / "roads-from-gps.geojson")
    layer_import(municipality=nst, kind="roads", path=path, dataset_slug="gps")
    with tenant_scope(municipality_ids=[nst.pk]):
        Road.objects.filter(dataset__slug="gps", municipality=nst).first().delete()

    page = soup(client_for("nst-planner").get(f"/m/{NST}/"))

    texts: dict[str, str] = {}  # the newest line of each kind of change
    for item in page.select("#widget-recent_changes li[data-op]"):
        texts.setdefault(item["data-op"], item.get_text(" ", strip=True))
    assert "ลบ 1 รายการ" in texts["delete"]
    assert "เพิ่ม 3 รายการ" in texts["insert"]
    assert "roads-from-gps.geojson" in texts["insert"]


def test_recent_changes_hide_datasets_the_caller_may_not_read(nst):
    cases = Dataset.objects.get(municipality=nst, kind=Dataset.Kind.DENGUE_CASES)
    Dataset.objects.filter(pk=cases.pk).update(updated_at=timezone.now() + timedelta(hours=1))

    member = [c.title for c in recent_changes(nst, 50, access=MEMBER_ACCESS)]
    health = [
        c.title
        for c in recent_changes(nst, 50, access=DatasetAccess(internal=True, exact_cases=True))
    ]

    assert cases.title not in member
    assert health[0] == cases.title


# --- the settings page -----------------------------------------------------------------------


def settings_url(code: str = NST) -> str:
    return reverse("dashboard-settings", kwargs={"code": code})


def widget_order(code: str = NST, username: str = "nst-planner") -> list[str]:
    page = soup(client_for(username).get(f"/m/{code}/"))
    return [section["data-widget"] for section in page.select(".dashboard-grid [data-widget]")]


def post(client: Client, widgets, *, order=None, layers=("roads",), stale="365", **extra):
    data = {
        "order": list(order or widgets),
        "widgets": list(widgets),
        "map_layers": list(layers),
        "stale_after_days": stale,
        **extra,
    }
    return client.post(settings_url(), data)


def test_without_settings_the_home_page_shows_every_widget(db):
    assert widget_order() == [
        "roads_by_class",
        "roads_by_surface",
        "landmarks_by_category",
        "map",
        "data_freshness",
        "recent_changes",
        "layer_counts",
    ]


def test_an_administrator_saves_widgets_in_order_and_members_see_that_order(nst):
    response = post(
        client_for("nst-admin"),
        ["recent_changes", "roads_by_class"],
        order=["recent_changes", "map", "roads_by_class", "layer_counts"],
    )

    assert response.status_code == 302
    config = DashboardConfig.objects.get(municipality=nst)
    assert config.widgets == ["recent_changes", "roads_by_class"]
    assert config.updated_by.username == "nst-admin"
    assert widget_order() == ["recent_changes", "roads_by_class"]


def test_up_and_down_buttons_move_a_widget_and_save_without_javascript(nst):
    admin = client_for("nst-admin")
    widgets = ["map", "roads_by_class", "landmarks_by_category"]

    up = post(admin, widgets, move="up:landmarks_by_category")
    assert up.status_code == 302
    assert up["Location"].endswith("#widget-landmarks_by_category")
    assert widget_order() == ["map", "landmarks_by_category", "roads_by_class"]

    post(admin, ["map", "landmarks_by_category", "roads_by_class"], move="down:map")
    assert widget_order() == ["landmarks_by_category", "map", "roads_by_class"]

    # Moving the first one up changes nothing (and still saves).
    post(admin, ["landmarks_by_category", "map", "roads_by_class"], move="up:landmarks_by_category")
    assert widget_order() == ["landmarks_by_category", "map", "roads_by_class"]


def test_the_settings_page_lists_shown_widgets_in_order_then_the_others(nst):
    post(client_for("nst-admin"), ["layer_counts", "map"])

    page = soup(client_for("nst-admin").get(settings_url()))

    keys = [li["data-key"] for li in page.select(".widget-order li")]
    assert keys[:2] == ["layer_counts", "map"]
    assert set(keys) == set(DashboardWidget.values)
    assert len(keys) == len(DashboardWidget.values)
    checked = [i["value"] for i in page.select("input[name=widgets][checked]")]
    assert checked == ["layer_counts", "map"]


BAD_SETTINGS = {
    "unknown widget": (
        {"widgets": ["roads_by_class", "weather"]},
        "ไม่รู้จักกล่องข้อมูล: weather",
        "Unknown widget: weather",
    ),
    "unknown layer": (
        {"layers": ["roads", "rivers"]},
        "ไม่รู้จักชั้นข้อมูลแผนที่: rivers",
        "Unknown map layer: rivers",
    ),
    "no widget": ({"widgets": []}, "โปรดเลือกกล่องข้อมูลอย่างน้อยหนึ่งกล่อง", "Choose at least one widget."),
    "zero days": ({"stale": "0"}, "ต้องอยู่ระหว่าง 1 ถึง 3650 วัน", "must be between 1 and 3650"),
    "not a number": ({"stale": "soon"}, "“soon” ไม่ใช่จำนวนเต็ม", "“soon” is not a whole number"),
}


@pytest.mark.parametrize(("change", "th", "en"), BAD_SETTINGS.values(), ids=list(BAD_SETTINGS))
def test_bad_settings_are_refused_with_a_clear_reason_in_thai_and_english(nst, change, th, en):
    args = {"widgets": ["roads_by_class"], "layers": ["roads"], "stale": "365", **change}
    for language, message in (("th", th), ("en", en)):
        client = client_for("nst-admin", language)
        response = post(client, args["widgets"], layers=args["layers"], stale=args["stale"])

        assert response.status_code == 400
        assert message in soup(response).select_one(".dashboard-errors").get_text()
    assert not DashboardConfig.objects.filter(municipality=nst).exists()


def test_the_service_refuses_a_widget_or_layer_listed_twice(nst):
    with pytest.raises(ValidationError) as refused:
        dashboard_save(
            municipality=nst,
            widgets=["map", "map"],
            map_layers=["roads", "roads"],
            stale_after_days=30,
            user=None,
        )

    assert set(refused.value.message_dict) == {"widgets", "map_layers"}
    assert not DashboardConfig.objects.filter(municipality=nst).exists()


def test_reset_brings_back_the_defaults(nst):
    admin = client_for("nst-admin")
    post(admin, ["map"])

    response = admin.post(settings_url(), {"action": "reset"})

    assert response.status_code == 302
    assert not DashboardConfig.objects.filter(municipality=nst).exists()
    assert len(widget_order()) == len(DashboardWidget.values)


@pytest.mark.parametrize("username", ["nst-viewer", "nst-planner", "nst-health", "nst-editor"])
def test_members_who_are_not_administrators_get_403(nst, username):
    client = client_for(username)

    assert client.get(settings_url()).status_code == 403
    assert post(client, ["map"]).status_code == 403
    assert not DashboardConfig.objects.filter(municipality=nst).exists()


def test_another_municipalitys_administrator_gets_404(nst):
    client = client_for("chon-admin")

    assert client.get(settings_url()).status_code == 404
    assert post(client, ["map"]).status_code == 404
    assert not DashboardConfig.objects.filter(municipality=nst).exists()


def test_each_municipality_keeps_its_own_settings(nst, chon):
    post(client_for("nst-admin"), ["map"])

    assert widget_order() == ["map"]
    assert len(widget_order("chon-buri", "chon-planner")) == len(DashboardWidget.values)


def test_settings_rows_are_invisible_to_another_tenant_in_the_database(nst, chon):
    DashboardConfig.objects.create(municipality=nst, widgets=["map"], map_layers=[])

    with tenant_scope(municipality_ids=[chon.pk]):
        assert DashboardConfig.objects.count() == 0
    with tenant_scope(municipality_ids=[nst.pk]):
        assert DashboardConfig.objects.count() == 1


# --- the map widget --------------------------------------------------------------------------


def map_registry(html: str) -> set[str]:
    match = re.search(r"window\.mueangMap = \{map: \w+, layers: \{([^}]*)\}\}", html)
    assert match, "the map registers itself"
    return set(re.findall(r'"(\w+)":', match.group(1)))


@pytest.mark.parametrize(
    "layers", [["roads", "landmarks"], ["flood_zones"], ["subdistricts", "landmarks"], []]
)
def test_the_map_widget_carries_exactly_the_chosen_layers(nst, layers):
    post(client_for("nst-admin"), ["map"], layers=layers)

    html = client_for("nst-viewer").get(f"/m/{NST}/").content.decode()

    assert map_registry(html) == set(layers)
    assert ("mueang-road" in html) == ("roads" in layers)


def test_the_map_widget_sends_nothing_when_it_is_not_chosen(nst):
    post(client_for("nst-admin"), ["roads_by_class"])

    html = client_for("nst-viewer").get(f"/m/{NST}/").content.decode()

    assert "window.mueangMap" not in html
    assert "leaflet.js" not in html


def test_the_dashboard_follows_an_edit_at_once_despite_its_cache(nst):
    client = client_for("nst-planner")
    before = soup(client.get(f"/m/{NST}/"))
    road = Road.objects.filter(municipality=nst).exclude(road_class="track").first()
    road.road_class = "track"
    road.save()
    track_km = geodesic_km_by(nst, "road_class")["track"]

    after = soup(client.get(f"/m/{NST}/"))

    def rows(page, widget):
        return [
            [td.get_text(strip=True) for td in tr.select("td")]
            for tr in page.select(f"#widget-{widget} tbody tr")
        ]

    assert rows(after, "roads_by_class") != rows(before, "roads_by_class")
    with translation.override("th"):
        track = str(dict(Road.RoadClass.choices)["track"])
    assert [track, f"{track_km:,.1f}"] in rows(after, "roads_by_class")
    newest = after.select_one("#widget-recent_changes li")
    assert newest["data-kind"] == "roads"
    assert newest.select_one("time")["datetime"][:10] == timezone.localdate().isoformat()


def _msgids_of_the_home_pages() -> set[str]:
    """English msgids of the dashboard code, its models' labels and its templates."""
    python = re.compile(r"""(?:\b_|gettext_lazy)\(\s*"((?:[^"\\]|\\.)*)"\s*\)""")
    translate = re.compile(r"""{% translate (["'])(.*?)\1 %}""")
    block = re.compile(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", re.S)
    models = Path("geoapp/models.py").read_text(encoding="utf-8")
    sources = [
        Path("geoapp/home/dashboard.py").read_text(encoding="utf-8"),
        Path("geoapp/home/dashboard_views.py").read_text(encoding="utf-8"),
        models[models.index("class DashboardWidget") :],
    ]
    found: set[str] = set()
    for source in sources:
        found |= {json.loads(f'"{m}"') for m in python.findall(source)}
    templates = [
        *Path("geoapp/templates/geoapp/dashboard").glob("*.html"),
        Path("geoapp/templates/geoapp/dashboard_settings.html"),
        Path("geoapp/templates/geoapp/municipality_home.html"),
    ]
    for template in templates:
        text = template.read_text(encoding="utf-8")
        found |= {m[1] for m in translate.findall(text)}
        found |= {
            re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", body.split("{% plural %}")[0])
            for body in block.findall(text)
        }
    return found


def test_every_string_of_the_home_pages_has_a_thai_translation():
    catalogue = thai_catalogue()
    msgids = _msgids_of_the_home_pages()

    missing = sorted(m for m in msgids if not catalogue.get(m))

    assert len(msgids) > 60
    assert missing == []
    for english in msgids:
        thai = catalogue[english]
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in thai), english
        assert sorted(re.findall(r"%\(\w+\)[sd]", english)) == sorted(
            re.findall(r"%\(\w+\)[sd]", thai)
        ), english
