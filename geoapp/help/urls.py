"""Help URLs (/help/...)."""

from django.urls import path

from geoapp.help import views

urlpatterns = [
    path("", views.help_index, name="help-index"),
    path("img/<str:name>", views.help_image, name="help-image"),
    path("<slug:role>/", views.help_manual, name="help-manual"),
]
