"""The demo as `make demo` serves it: local settings, but DEBUG off and ready for gunicorn.

- DEBUG is off whatever `.env` says: errors get Mueang's own Thai/English pages, never Django's
  debug page.
- WhiteNoise serves the files `collectstatic` gathered in STATIC_ROOT (compressed copies too),
  from our own origin: no third-party host and no runserver.
- Database connections: gunicorn runs MUEANG_WEB_WORKERS processes of MUEANG_WEB_THREADS threads;
  each thread keeps one connection (CONN_MAX_AGE) and a request never needs a second, so the web
  server holds at most workers x threads connections (2 x 4 = 8 by default) however many users
  are waiting: the others queue in gunicorn, not in PostgreSQL. The job worker holds up to 3
  (its own, its LISTEN connection and a running job's progress channel). Budget: 12 (README,
  tests/security/test_demo_server.py). Every connection is named (application_name) so
  pg_stat_activity shows whose it is.
"""

from geoapp.settings.env import env
from geoapp.settings.local import *  # noqa: F403

DEBUG = False

MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    **STORAGES,
    # Compressed copies without a manifest: a template naming a file that is missing still
    # renders (a 404 for that file), never a 500.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False

DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["OPTIONS"] = {
    **DATABASES["default"]["OPTIONS"],
    "application_name": env("MUEANG_DB_APPLICATION_NAME", "mueang-demo"),
}
