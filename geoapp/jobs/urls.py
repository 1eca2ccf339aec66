"""URLs of background jobs, under /m/<code>/jobs/."""

from django.urls import path

from geoapp.jobs import views

urlpatterns = [
    path("", views.job_list, name="job-list"),
    path("<uuid:job_id>/", views.job_detail, name="job-detail"),
    path("<uuid:job_id>.json", views.job_status, name="job-status"),
    path("<uuid:job_id>/cancel/", views.job_cancel, name="job-cancel"),
]
