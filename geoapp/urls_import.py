"""URLs of the import wizard, under /m/<code>/import/."""

from django.urls import path

from geoapp import views_import

urlpatterns = [
    path("", views_import.import_start, name="import-start"),
    path("<uuid:upload_id>/", views_import.import_preview, name="import-preview"),
    path("<uuid:upload_id>/mapping/", views_import.import_mapping, name="import-mapping"),
    path("<uuid:upload_id>/check/", views_import.import_check, name="import-check"),
    path("<uuid:upload_id>/import/", views_import.import_run, name="import-run"),
    path("<uuid:upload_id>/cancel/", views_import.import_cancel, name="import-cancel"),
]
