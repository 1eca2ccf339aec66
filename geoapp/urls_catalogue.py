"""URLs of the data catalogue, under /m/<code>/catalogue/ (members)."""

from django.urls import path

from geoapp import views_catalogue, views_history

urlpatterns = [
    path("", views_catalogue.catalogue, name="catalogue"),
    path("<slug:slug>/", views_catalogue.catalogue_dataset, name="catalogue-dataset"),
    path(
        "<slug:slug>/features/<int:feature_id>/history/",
        views_history.feature_history_page,
        name="catalogue-feature-history",
    ),
    path(
        "<slug:slug>/features/<int:feature_id>/restore/",
        views_history.feature_restore_page,
        name="catalogue-feature-restore",
    ),
    path(
        "<slug:slug>/imports/<int:import_id>/rollback/",
        views_history.import_rollback_page,
        name="catalogue-import-rollback",
    ),
    path(
        "<slug:slug>/export.<str:fmt>",
        views_catalogue.catalogue_export,
        name="catalogue-export",
    ),
]
