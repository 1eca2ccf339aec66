"""URLs of the dengue pages, under /m/<code>/dengue/."""

from django.urls import path

from geoapp import views_dengue

urlpatterns: list = [
    path("", views_dengue.dengue_dashboard, name="dengue-dashboard"),
    path("radius/", views_dengue.dengue_radius, name="dengue-radius"),
    path("spray/", views_dengue.dengue_spray_plan, name="dengue-spray-plan"),
    path(
        "spray/<slug:zone_key>/print/",
        views_dengue.dengue_work_order,
        name="dengue-work-order",
    ),
]
