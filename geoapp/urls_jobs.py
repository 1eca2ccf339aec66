"""URLs of background jobs, under /m/<code>/jobs/."""

from django.urls import path

from geoapp import views_jobs

urlpatterns = [
    path("", views_jobs.job_list, name="job-list"),
    path("<uuid:job_id>/", views_jobs.job_detail, name="job-detail"),
    path("<uuid:job_id>.json", views_jobs.job_status, name="job-status"),
    path("<uuid:job_id>/cancel/", views_jobs.job_cancel, name="job-cancel"),
]
