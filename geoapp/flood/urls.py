"""URLs of the flood pages, under /m/<code>/flood/."""

from django.urls import path

from geoapp.flood import damage, relief, views

urlpatterns = [
    path("", views.flood_dashboard, name="flood-dashboard"),
    path("aid/", views.flood_aid_priority, name="flood-aid-priority"),
    path("roads/", views.flood_impassable_roads, name="flood-impassable-roads"),
    path("needs/", views.flood_needs_profile, name="flood-needs-profile"),
    path("damage/", damage.flood_damage, name="flood-damage"),
    path("relief/", relief.relief_claims, name="flood-relief-claims"),
    path("relief/rates/", relief.relief_rates, name="flood-relief-rates"),
    path("relief/summary/", relief.relief_summary, name="flood-relief-summary"),
    path("relief/print/", relief.relief_print, name="flood-relief-print"),
    path("relief/new/", relief.relief_claim_new, name="flood-relief-claim-new"),
    path("relief/<int:claim_id>/", relief.relief_claim, name="flood-relief-claim"),
    path(
        "relief/<int:claim_id>/photos/<int:photo_id>/",
        relief.relief_photo,
        name="flood-relief-photo",
    ),
]
