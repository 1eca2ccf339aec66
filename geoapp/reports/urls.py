"""Residents' report pages under /reports/<code>/ (public: names start with "open-")."""

from django.urls import path

from geoapp.reports import followup_views, views

urlpatterns = [
    path("", views.open_report_list, name="open-report-list"),
    path("new/", views.open_report_new, name="open-report-new"),
    path("new/send/", views.open_report_send, name="open-report-send"),
    path("follow/", views.open_report_follow, name="open-report-follow"),
    path("find/", views.open_report_find, name="open-report-find"),
    path("<int:pk>/", views.open_report, name="open-report"),
    path("photos/<int:photo_id>.jpg", views.open_report_photo, name="open-report-photo"),
    path("map/", views.open_report_map, name="open-report-map"),
    path("t/<str:tracking>/", followup_views.open_report_tracked, name="open-report-tracked"),
    path(
        "t/<str:tracking>/follow-up/",
        followup_views.open_report_follow_up,
        name="open-report-follow-up",
    ),
    path(
        "t/<str:tracking>/comment/",
        followup_views.open_report_comment,
        name="open-report-comment",
    ),
    path("t/<str:tracking>/reopen/", followup_views.open_report_reopen, name="open-report-reopen"),
    path(
        "t/<str:tracking>/photos/<int:photo_id>.jpg",
        views.open_report_tracked_photo,
        name="open-report-tracked-photo",
    ),
]
