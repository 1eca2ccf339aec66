"""Production settings pass Django's deployment checks; every page sends the security headers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy_at_warning_level():
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never does.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "geoapp.settings.production",
        "SECRET_KEY": "x" * 20 + "production-test-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "mueang.example.go.th",
        "MUEANG_PII_KEYS": "x" * 43 + "=",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "geoapp.settings.production", "SECRET_KEY": ""}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/login/", "/m/", "/m/nakhon-si-thammarat/", "/m/nakhon-si-thammarat/map/",
     "/admin/"],
)  # fmt: skip
def test_every_page_allows_only_its_own_origin(db, path):
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="nst-admin"))

    response = client.get(path)

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "http" not in policy  # no other host unless a basemap is configured


def test_production_serves_static_files_precompressed_with_whitenoise():
    """Static files need a server in production: WhiteNoise, after SecurityMiddleware."""
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "geoapp.settings.production",
        "SECRET_KEY": "x" * 20 + "production-test-key-with-enough-entropy-0123456789",
        "MUEANG_PII_KEYS": "x" * 43 + "=",
    }
    code = (
        "from django.conf import settings; m = settings.MIDDLEWARE; "
        "print(m.index('whitenoise.middleware.WhiteNoiseMiddleware') "
        "- m.index('django.middleware.security.SecurityMiddleware'), "
        "m[0], settings.STORAGES['staticfiles']['BACKEND'])"
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "1",
        "django.middleware.gzip.GZipMiddleware",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]
