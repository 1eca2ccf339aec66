"""URLs of the dengue pages, under /m/<code>/dengue/."""

from django.urls import path

from geoapp.dengue import larval, views

urlpatterns: list = [
    path("", views.dengue_dashboard, name="dengue-dashboard"),
    path("radius/", views.dengue_radius, name="dengue-radius"),
    path("spray/", views.dengue_spray_plan, name="dengue-spray-plan"),
    path(
        "spray/<slug:zone_key>/print/",
        views.dengue_work_order,
        name="dengue-work-order",
    ),
    path("spray/rounds/<int:round_id>/", views.dengue_spray_round, name="dengue-spray-round"),
    path("larval/", larval.dengue_larval, name="dengue-larval"),
    path("larval/bands/", larval.dengue_larval_bands, name="dengue-larval-bands"),
]
