"""URLs of the dengue pages, under /m/<code>/dengue/."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
