"""URLs of the field work, under /m/<code>/field/."""

from django.urls import path

from geoapp.field import api, views

urlpatterns: list = [
    path("", views.field_assignments, name="field-assignments"),
    path("conflicts/", views.field_conflicts, name="field-conflicts"),
    path("conflicts/<int:conflict_id>/", views.field_conflict, name="field-conflict"),
    path("records/", views.field_records, name="field-records"),
    path("records/<int:survey_id>/", views.field_record, name="field-record"),
    path("app/", views.field_app, name="field-app"),
    path("app/sw.js", views.field_app_worker, name="field-app-worker"),
    path("app/manifest.webmanifest", views.field_app_manifest, name="field-app-manifest"),
    path("api/bootstrap/", api.bootstrap, name="field-api-bootstrap"),
    path("api/surveys/", api.surveys, name="field-api-surveys"),
    path("api/rounds/", api.rounds, name="field-api-rounds"),
    path("api/held/", api.held, name="field-api-held"),
    path("api/photos/<uuid:photo_uuid>/", api.photo, name="field-api-photo"),
]
