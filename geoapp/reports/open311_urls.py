"""Open311 GeoReport v2 under /open311/v2/: each resource as .json or .xml."""

from django.urls import re_path

from geoapp.reports import open311

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^services" + FMT, open311.services, name="open311-services"),
    re_path(
        r"^services/(?P<service_code>[-a-zA-Z0-9_]{1,40})" + FMT,
        open311.service_definition,
        name="open311-service",
    ),
    re_path(r"^requests" + FMT, open311.requests, name="open311-requests"),
    re_path(
        r"^requests/(?P<request_id>[^/.]{1,40})" + FMT,
        open311.request_detail,
        name="open311-request",
    ),
    re_path(r"^tokens/(?P<token_id>[^/.]{1,40})" + FMT, open311.token, name="open311-token"),
]
