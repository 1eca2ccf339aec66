"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings.local")
application = get_wsgi_application()

# Django imports the URLconf, and with it every view module (folium, the CQL2 grammar, pandas
# helpers), on the first request a worker serves: measured 1.7 s added to that request. Import it
# here instead, while the worker starts, so no user waits for it.
_views_imported = get_resolver().url_patterns
