"""Password guessing is slowed by a cooldown per username and per address, never a lock-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings

from geoapp.models import LoginFailure

LOGIN = "/accounts/login/"


def attempt(client: Client, username: str, password: str, **headers):
    return client.post(LOGIN, {"username": username, "password": password}, **headers)


@override_settings(MUEANG_LOGIN_MAX_FAILURES_PER_USER=3)
def test_a_username_waits_after_repeated_failures_even_with_the_right_password(db):
    client = Client(HTTP_HOST="127.0.0.1")
    for _ in range(3):
        assert attempt(client, "nst-planner", "wrong-password").status_code == 200

    response = attempt(client, "nst-planner", "mueang-demo-2569")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "รอ" in response.content.decode()  # Thai message: wait N minutes
    assert "_auth_user_id" not in client.session


@override_settings(MUEANG_LOGIN_MAX_FAILURES_PER_USER=3, MUEANG_LOGIN_COOLDOWN_S=600)
def test_the_cooldown_ends_and_the_user_can_log_in_again(db):
    client = Client(HTTP_HOST="127.0.0.1")
    for _ in range(3):
        attempt(client, "nst-planner", "wrong-password")
    LoginFailure.objects.update(at=LoginFailure.objects.first().at - timedelta(seconds=601))

    response = attempt(client, "nst-planner", "mueang-demo-2569")

    assert response.status_code == 302
    assert not LoginFailure.objects.filter(username="nst-planner").exists()


@override_settings(MUEANG_LOGIN_MAX_FAILURES_PER_ADDRESS=4, MUEANG_LOGIN_MAX_FAILURES_PER_USER=100)
def test_one_address_spraying_many_usernames_is_slowed(db):
    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="203.0.113.7")
    for name in ("a", "b", "c", "d"):
        attempt(client, f"user-{name}", "guess")

    assert attempt(client, "nst-viewer", "mueang-demo-2569").status_code == 429
    other = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="198.51.100.9")
    assert attempt(other, "nst-viewer", "mueang-demo-2569").status_code == 302


@pytest.mark.parametrize(("proxies", "expected"), [(0, "10.0.0.2"), (1, "198.51.100.20")])
@override_settings(MUEANG_LOGIN_MAX_FAILURES_PER_ADDRESS=100)
def test_forwarded_for_is_trusted_only_through_configured_proxies(db, proxies, expected):
    with override_settings(MUEANG_TRUSTED_PROXY_COUNT=proxies):
        attempt(
            Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.0.0.2"),
            "nst-editor",
            "wrong",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20",
        )

    assert LoginFailure.objects.get(username="nst-editor").address == expected
