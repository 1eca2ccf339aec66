"""Open311 keys of a municipality, under /m/<code>/reports/keys/ (administrators)."""

from django.urls import path

from geoapp.reports import keys

urlpatterns = [
    path("", keys.report_keys, name="report-keys"),
    path("<int:key_id>/revoke/", keys.report_key_revoke, name="report-key-revoke"),
]
