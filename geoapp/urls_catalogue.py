"""URLs of the data catalogue, under /m/<code>/catalogue/ (members)."""

from django.urls import path

from geoapp import views_catalogue

urlpatterns = [
    path("", views_catalogue.catalogue, name="catalogue"),
    path("<slug:slug>/", views_catalogue.catalogue_dataset, name="catalogue-dataset"),
    path(
        "<slug:slug>/export.<str:fmt>",
        views_catalogue.catalogue_export,
        name="catalogue-export",
    ),
]
