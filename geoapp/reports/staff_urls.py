"""Staff report pages under /m/<code>/reports/ (login, the municipality's roles)."""

from django.urls import path

from geoapp.reports import categories
from geoapp.reports import staff_views as views

urlpatterns = [
    path("", views.report_queue_page, name="reports-queue"),
    path("summary/", views.report_summary_page, name="reports-summary"),
    path("settings/", views.report_settings_page, name="reports-settings"),
    path("categories/", categories.report_categories_page, name="reports-categories"),
    path("categories/new/", categories.report_category_page, name="reports-category-new"),
    path(
        "categories/<int:category_id>/",
        categories.report_category_page,
        name="reports-category-edit",
    ),
    path("<int:report_id>/", views.report_staff_page, name="reports-staff-report"),
    path(
        "<int:report_id>/photos/<int:report_photo_id>.jpg",
        views.report_staff_photo,
        name="reports-staff-photo",
    ),
]
