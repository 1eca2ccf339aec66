"""Site URLs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from geoapp.accounts import auth, passwords
from geoapp.accounts.auth import LoginView
from geoapp.api import process_views as api_processes
from geoapp.api import views as api
from geoapp.dengue import views as dengue
from geoapp.home import dashboard_views
from geoapp.home import views as home
from geoapp.pdpa import views as pdpa
from geoapp.tiles import views as tiles
from geoapp.web import printing

urlpatterns = [
    path("", home.landing, name="landing"),
    # Browsers ask for /favicon.ico on pages without an icon link (the Django admin).
    path("favicon.ico", home.favicon),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/login/code/", auth.login_code, name="login-code"),
    path("accounts/two-factor/", auth.two_factor, name="two-factor"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/forgot/",
        passwords.ForgotPasswordView.as_view(),
        name="password-forgot",
    ),
    path(
        "accounts/password/forgot/sent/",
        passwords.ForgotPasswordSentView.as_view(),
        name="password-forgot-sent",
    ),
    path(
        "accounts/password/set/<uidb64>/<token>/",
        passwords.SetPasswordView.as_view(),
        name="password-set",
    ),
    path(
        "accounts/password/set/done/",
        passwords.SetPasswordDoneView.as_view(),
        name="password-set-done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("help/", include("geoapp.help.urls")),
    # Public pages (no login; names start with "open-").
    path("open/<slug:code>/dengue/", dengue.open_dengue_counts, name="open-dengue-counts"),
    path("open/<slug:code>/", include("geoapp.catalogue.open_urls")),
    path("reports/<slug:code>/", include("geoapp.reports.urls")),
    path("open311/v2/", include("geoapp.reports.open311_urls")),
    path(
        "tiles/<slug:layer>/<int:z>/<int:x>/<int:y>.pbf",
        tiles.vector_tile,
        name="vector-tile",
    ),
    path("tiles/<slug:layer>.json", tiles.tilejson, name="tilejson"),
    # QGIS asks for /api without the slash and does not follow a redirect: answer it as is.
    path("api", api.landing),
    path("api/", api.landing, name="ogc-landing"),
    path("api/openapi", api.openapi, name="ogc-openapi"),
    path("api/conformance", api.conformance, name="ogc-conformance"),
    path("api/collections", api.collections, name="ogc-collections"),
    path("api/collections/<str:collection_id>", api.collection, name="ogc-collection"),
    path("api/collections/<str:collection_id>/items", api.items, name="ogc-items"),
    path("api/collections/<str:collection_id>/queryables", api.queryables, name="ogc-queryables"),
    path("api/collections/<str:collection_id>/schema", api.schema, name="ogc-schema"),
    path("api/collections/<str:collection_id>/items/<int:item_id>", api.item, name="ogc-item"),
    path(
        "api/collections/<str:collection_id>/tiles",
        tiles.collection_tilesets,
        name="ogc-tilesets",
    ),
    path(
        "api/collections/<str:collection_id>/tiles/WebMercatorQuad",
        tiles.collection_tileset,
        name="ogc-tileset",
    ),
    path("api/processes", api_processes.process_list, name="ogc-processes"),
    path("api/processes/<str:process_id>", api_processes.process_description, name="ogc-process"),
    path(
        "api/processes/<str:process_id>/execution",
        api_processes.process_execute,
        name="ogc-process-execution",
    ),
    path("api/jobs", api_processes.job_list, name="ogc-jobs"),
    path("api/jobs/<str:job_id>", api_processes.job_status, name="ogc-job"),
    path("api/jobs/<str:job_id>/results", api_processes.job_results, name="ogc-job-results"),
    # Anything else under /api/ is a JSON 404, like every API error.
    re_path(r"^api/", api.not_found),
    path("m/", home.municipality_list, name="municipality-list"),
    path("m/<slug:code>/", home.municipality_home, name="municipality-home"),
    path("m/<slug:code>/map/", home.municipality_map, name="municipality-map"),
    path("m/<slug:code>/print.css", printing.print_margins, name="print-margins"),
    path("m/<slug:code>/map/edit/", include("geoapp.editing.urls")),
    path(
        "m/<slug:code>/dashboard/settings/",
        dashboard_views.dashboard_settings,
        name="dashboard-settings",
    ),
    path("m/<slug:code>/catalogue/", include("geoapp.catalogue.urls")),
    path("m/<slug:code>/staff/", include("geoapp.accounts.staff_urls")),
    path("m/<slug:code>/reports/keys/", include("geoapp.reports.keys_urls")),
    path("m/<slug:code>/search/", include("geoapp.search.urls")),
    path("m/<slug:code>/dengue/", include("geoapp.dengue.urls")),
    path("m/<slug:code>/field/", include("geoapp.field.urls")),
    path("m/<slug:code>/flood/", include("geoapp.flood.urls")),
    path("m/<slug:code>/jobs/", include("geoapp.jobs.urls")),
    path("m/<slug:code>/reports/", include("geoapp.reports.staff_urls")),
    path("m/<slug:code>/import/", include("geoapp.imports.urls")),
    path("m/<slug:code>/cases/", include("geoapp.dengue.case_urls")),
    path(
        "m/<slug:code>/pdpa/requests/",
        pdpa.data_subject_requests,
        name="data-subject-requests",
    ),
    path(
        "m/<slug:code>/pdpa/access-log/",
        pdpa.personal_data_access_log,
        name="personal-data-access-log",
    ),
    # The admin's own login form would skip throttling and the second factor.
    path("admin/login/", auth.admin_login),
    path("admin/", admin.site.urls),
]
