"""URLs of the import wizard, under /m/<code>/import/."""

from django.urls import path

from geoapp.imports import views

urlpatterns = [
    path("", views.import_start, name="import-start"),
    path("<uuid:upload_id>/", views.import_preview, name="import-preview"),
    path("<uuid:upload_id>/mapping/", views.import_mapping, name="import-mapping"),
    path("<uuid:upload_id>/check/", views.import_check, name="import-check"),
    path("<uuid:upload_id>/import/", views.import_run, name="import-run"),
    path("<uuid:upload_id>/cancel/", views.import_cancel, name="import-cancel"),
]
