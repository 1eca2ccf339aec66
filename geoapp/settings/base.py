"""Settings shared by every environment; values that differ come from `env`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from geoapp.settings.env import BASE_DIR, database_from_url, env, env_bool, env_int, env_list

SECRET_KEY = env("SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "geoapp",
    "layers",
]

MIDDLEWARE = [
    # First, so it compresses what every other middleware wrote (pages, API JSON). Django pads
    # compressed responses against BREACH; tiles come compressed from their cache already.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "geoapp.web.middleware.ContentSecurityPolicyMiddleware",
    "geoapp.web.errors.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "geoapp.web.middleware.ThaiFirstLocaleMiddleware",
    # A NUL in the address or form is a 400 here, not a 500 from PostgreSQL later.
    "geoapp.web.request_guard.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "geoapp.accounts.auth.SecondFactorMiddleware",
    "geoapp.web.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "geoapp.urls"
WSGI_APPLICATION = "geoapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "geoapp" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "geoapp.search.context.header_search",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env("DATABASE_URL", "postgis://mueang:mueang@127.0.0.1:5432/mueang") or ""
    )
}
DATABASES["default"]["TEST"] = {
    "TEMPLATE": env("MUEANG_DB_TEMPLATE", "mueang_template"),
    # Parallel checkouts or runs on one server each take their own test database.
    "NAME": env("MUEANG_TEST_DB_NAME"),
}
# A streaming replica for read-only analysis and API reads (layers/replica.py): only inside
# `replica_reads`, only when it has replayed all the primary has written, else the primary.
if env("REPLICA_DATABASE_URL"):
    DATABASES["replica"] = database_from_url(env("REPLICA_DATABASE_URL") or "")
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = 2
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["layers.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Two caches (decision 0021). "default": each process's own memory, for small hot values (tile
# bytes, extents). "shared": a table in PostgreSQL (migration geoapp 0018_shared_cache), read by
# every gunicorn worker and the job worker, for results that cost a second to build (dengue
# situation, clusters, dashboard maps, flood assessments); `layers.caching` keys them by
# municipality, role tier and data version and keeps a copy in "default".
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "mueang_cache",
        "TIMEOUT": env_int("MUEANG_SHARED_CACHE_S", 24 * 3600),
        # Culling counts the rows on every write: a few thousand entries keep that under 1 ms.
        "OPTIONS": {"MAX_ENTRIES": 5000, "CULL_FREQUENCY": 4},
    },
}


def _gdal_library() -> str | None:
    """GDAL for GeoDjango: GDAL_LIBRARY_PATH, else the GDAL that pyogrio's wheel ships.

    Debian 12's GDAL (3.6) cannot block file and network access from spatial references
    (check gis.W001); the wheel's GDAL (3.9 or newer) can, and it is the one geopandas already
    loads into this process. Without either, Django finds the system library.
    """
    configured = env("GDAL_LIBRARY_PATH")
    if configured:
        return configured
    spec = importlib.util.find_spec("pyogrio")
    if spec is None or spec.origin is None:
        return None
    bundled = sorted(Path(spec.origin).parent.parent.glob("pyogrio.libs/libgdal-*.so*"))
    return str(bundled[-1]) if bundled else None


GDAL_LIBRARY_PATH = _gdal_library()

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "municipality-list"
LOGOUT_REDIRECT_URL = "landing"

# Thai first: the interface is Thai unless the user picks English (see ThaiFirstLocaleMiddleware).
LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "geoapp" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Bangkok"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Public geodata the demo loader reads (fixtures/data/SOURCES.md).
MUEANG_DATA_DIR = env("MUEANG_DATA_DIR", str(BASE_DIR / "fixtures" / "data"))
# A basemap is off unless an administrator configures an XYZ tile URL and its attribution.
MUEANG_BASEMAP_URL = env("MUEANG_BASEMAP_URL", "")
# Above this many dengue cases the radius page runs its analysis as a background job.
MUEANG_RADIUS_SYNC_MAX_CASES = env_int("MUEANG_RADIUS_SYNC_MAX_CASES", 5000)
# A water level over a DEM reads the whole DEM (as float64) per level: cap its cells.
MUEANG_BATHTUB_MAX_CELLS = env_int("MUEANG_BATHTUB_MAX_CELLS", 50_000_000)
# Import wizard uploads older than this are removed when the next file is uploaded.
MUEANG_IMPORT_UPLOAD_TTL_HOURS = env_int("MUEANG_IMPORT_UPLOAD_TTL_HOURS", 24)
MUEANG_BASEMAP_ATTRIBUTION = env("MUEANG_BASEMAP_ATTRIBUTION", "")
# Hosts (besides our own) that pages may contact; only the basemap host needs one.
MUEANG_EXTRA_CSP_HOSTS = env_list("MUEANG_EXTRA_CSP_HOSTS", "")

# Login throttling (geoapp/accounts/throttle.py): failures within the cooldown window, per user
# and address.
MUEANG_LOGIN_COOLDOWN_S = env_int("MUEANG_LOGIN_COOLDOWN_S", 900)
MUEANG_LOGIN_MAX_FAILURES_PER_USER = env_int("MUEANG_LOGIN_MAX_FAILURES_PER_USER", 5)
MUEANG_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("MUEANG_LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
# E-mail (set-password links for new staff, "Forgot password"): off unless switched on here.
# Without it, administrators hand over the link themselves and "Forgot password" says to ask them.
MUEANG_EMAIL_ENABLED = env_bool("MUEANG_EMAIL_ENABLED", False)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "mueang@localhost")
# Seconds before giving up on a silent mail server (report e-mails wait on a thread of their own).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
# The site's address as residents reach it, for links in report e-mails (geoapp/reports/notify.py).
MUEANG_SITE_URL = env("MUEANG_SITE_URL", "http://127.0.0.1:8000")
# A set-password link works once, until the password changes, for at most this long (3 days:
# new staff may start after a weekend).
PASSWORD_RESET_TIMEOUT = env_int("MUEANG_SET_PASSWORD_LINK_S", 3 * 24 * 3600)
# Number of reverse proxies in front of Mueang whose X-Forwarded-For entries are trusted.
MUEANG_TRUSTED_PROXY_COUNT = env_int("MUEANG_TRUSTED_PROXY_COUNT", 0)
# Keys that encrypt personal data at rest (Fernet, comma-separated; the first encrypts, all
# decrypt, so keys can be rotated). `make db` writes one to .env.
MUEANG_PII_KEYS = env_list("MUEANG_PII_KEYS", "")
# Secret that keys donut masking of case locations (default: derived from SECRET_KEY).
MUEANG_MASK_SECRET = env("MUEANG_MASK_SECRET", "")
# A map sends a layer inline as GeoJSON up to this many features, and as vector tiles above.
MUEANG_MAP_TILE_THRESHOLD = env_int("MUEANG_MAP_TILE_THRESHOLD", 5000)

# Errors go to the console (the service manager's journal) in every environment.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "WARNING")}},
}
# Personal data of cases is purged this many years after the report (`manage.py pdpa_purge`).
MUEANG_PII_RETENTION_YEARS = env_int("MUEANG_PII_RETENTION_YEARS", 5)
