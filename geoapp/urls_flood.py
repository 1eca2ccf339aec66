"""URLs of the flood pages, under /m/<code>/flood/."""

from django.urls import path

from geoapp import views_flood

urlpatterns = [
    path("", views_flood.flood_dashboard, name="flood-dashboard"),
    path("aid/", views_flood.flood_aid_priority, name="flood-aid-priority"),
    path("needs/", views_flood.flood_needs_profile, name="flood-needs-profile"),
]
