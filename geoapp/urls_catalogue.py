"""URLs of the data catalogue, under /m/<code>/catalogue/ (members)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
