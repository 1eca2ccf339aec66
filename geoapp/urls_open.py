"""Public open-data URLs, under /open/<code>/ (no login). Every name starts with "open-"."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
