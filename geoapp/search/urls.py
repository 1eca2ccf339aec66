"""URLs of the search, under /m/<code>/search/ (members)."""

from django.urls import path

from geoapp.search import views

urlpatterns = [
    path("", views.search_page, name="municipality-search"),
    path("suggest/", views.search_suggestions, name="municipality-search-suggest"),
]
