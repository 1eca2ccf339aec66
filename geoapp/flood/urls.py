"""URLs of the flood pages, under /m/<code>/flood/."""

from django.urls import path

from geoapp.flood import damage, views

urlpatterns = [
    path("", views.flood_dashboard, name="flood-dashboard"),
    path("aid/", views.flood_aid_priority, name="flood-aid-priority"),
    path("needs/", views.flood_needs_profile, name="flood-needs-profile"),
    path("damage/", damage.flood_damage, name="flood-damage"),
]
