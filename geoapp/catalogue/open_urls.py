"""Public open-data URLs, under /open/<code>/ (no login). Every name starts with "open-"."""

from django.urls import path

from geoapp.catalogue import views

urlpatterns = [
    path("datasets/", views.open_datasets, name="open-datasets"),
    path(
        "datasets/<slug:slug>/export.<str:fmt>",
        views.open_dataset_export,
        name="open-dataset-export",
    ),
]
