"""URLs of the case pages, under /m/<code>/cases/."""

from django.urls import path

from geoapp.dengue import cases

urlpatterns: list = [
    path("", cases.case_list, name="case-list"),
    path("new/", cases.case_add, name="case-add"),
    path("<int:case_id>/", cases.case_detail, name="case-detail"),
    path("<int:case_id>/edit/", cases.case_edit, name="case-edit"),
    path("<int:case_id>/steps/", cases.case_step, name="case-steps"),
    path("<int:case_id>/personal/", cases.case_personal, name="case-personal"),
]
