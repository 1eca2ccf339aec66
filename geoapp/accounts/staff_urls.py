"""URLs of the staff pages, under /m/<code>/staff/."""

from django.urls import path

from geoapp.accounts import staff_views as views

urlpatterns = [
    path("", views.staff_list, name="staff-list"),
    path("add/", views.staff_add, name="staff-add"),
    path("log/", views.staff_log, name="staff-log"),
    path("<int:user_id>/", views.staff_member, name="staff-member"),
    path("<int:user_id>/remove/", views.staff_remove, name="staff-remove"),
    path("<int:user_id>/link/", views.staff_link, name="staff-link"),
]
