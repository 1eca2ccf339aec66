"""URLs of the map's edit endpoints, under /m/<code>/map/edit/ (editors of infrastructure)."""

from django.urls import path

from geoapp.editing import views

urlpatterns = [
    path("<slug:layer>/items", views.edit_items, name="map-edit-items"),
    path("<slug:layer>/items/<int:feature_id>", views.edit_item, name="map-edit-item"),
    path("<slug:layer>/items/<int:feature_id>/undo", views.edit_undo, name="map-edit-undo"),
]
