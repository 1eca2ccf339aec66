"""Production: everything from the environment, secure defaults."""

from django.core.exceptions import ImproperlyConfigured

from geoapp.settings.base import *  # noqa: F403
from geoapp.settings.env import env, env_bool, env_int

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production")
if not MUEANG_PII_KEYS:
    raise ImproperlyConfigured("MUEANG_PII_KEYS must be set in production (personal data)")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"
WHITENOISE_USE_FINDERS = False
# WhiteNoise serves the collected files with their precompressed .gz copies and far-future
# caching for hashed names (Leaflet alone is 148 kB, 43 kB gzipped).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
