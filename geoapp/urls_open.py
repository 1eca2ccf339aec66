"""Public open-data URLs, under /open/<code>/ (no login). Every name starts with "open-"."""

from django.urls import path

from geoapp import views_catalogue

urlpatterns = [
    path("datasets/", views_catalogue.open_datasets, name="open-datasets"),
    path(
        "datasets/<slug:slug>/export.<str:fmt>",
        views_catalogue.open_dataset_export,
        name="open-dataset-export",
    ),
]
