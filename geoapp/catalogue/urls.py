"""URLs of the data catalogue, under /m/<code>/catalogue/ (members)."""

from django.urls import path

from geoapp.catalogue import deletion, views
from geoapp.history import views as history

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<slug:slug>/", views.catalogue_dataset, name="catalogue-dataset"),
    path(
        "<slug:slug>/features/<int:feature_id>/history/",
        history.feature_history_page,
        name="catalogue-feature-history",
    ),
    path(
        "<slug:slug>/features/<int:feature_id>/restore/",
        history.feature_restore_page,
        name="catalogue-feature-restore",
    ),
    path(
        "<slug:slug>/imports/<int:import_id>/rollback/",
        history.import_rollback_page,
        name="catalogue-import-rollback",
    ),
    path("<slug:slug>/delete/", deletion.dataset_delete_page, name="catalogue-dataset-delete"),
    path(
        "<slug:slug>/export.<str:fmt>",
        views.catalogue_export,
        name="catalogue-export",
    ),
]
