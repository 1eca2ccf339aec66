"""Residents' report pages under /reports/<code>/ (public: names start with "open-")."""

from django.urls import path

from geoapp.reports import views

urlpatterns = [
    path("", views.open_report_list, name="open-report-list"),
    path("new/", views.open_report_new, name="open-report-new"),
    path("new/send/", views.open_report_send, name="open-report-send"),
    path("follow/", views.open_report_follow, name="open-report-follow"),
    path("find/", views.open_report_find, name="open-report-find"),
    path("<int:pk>/", views.open_report, name="open-report"),
    path("photos/<int:photo_id>.jpg", views.open_report_photo, name="open-report-photo"),
    path("t/<str:tracking>/", views.open_report_tracked, name="open-report-tracked"),
    path(
        "t/<str:tracking>/photos/<int:photo_id>.jpg",
        views.open_report_tracked_photo,
        name="open-report-tracked-photo",
    ),
]
