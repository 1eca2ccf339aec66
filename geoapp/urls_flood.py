"""URLs of the flood pages, under /m/<code>/flood/."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
