"""Second factor for administrators: enrolment, the code step, replay, recovery, throttling."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings

from geoapp.accounts.auth import VERIFIED_KEY
from geoapp.accounts.totp import totp_enrolment_confirm, totp_enrolment_start
from geoapp.models import LoginFailure, TotpDevice, TotpRecoveryCode

LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"
SETUP = "/accounts/two-factor/"
PASSWORD = "mueang-demo-2569"


def code_at(secret: str, offset_s: float = 0) -> str:
    """The code an authenticator app shows, `offset_s` from now."""
    return pyotp.TOTP(secret).at(time.time() + offset_s)


@pytest.fixture
def enrolled(db):
    """nst-admin with a confirmed authenticator (confirmed with a code of a minute ago)."""
    user = get_user_model().objects.get(username="nst-admin")
    secret = totp_enrolment_start(user=user).secret
    an_earlier_step = time.time() - 60
    codes = totp_enrolment_confirm(
        user=user, code=pyotp.TOTP(secret).at(an_earlier_step), now=an_earlier_step
    )
    assert codes
    return user, secret, codes


def password_step(client: Client, username: str = "nst-admin", next_url: str = ""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def logged_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_an_admin_enrols_with_a_local_qr_code_and_a_real_code(db):
    client = Client(HTTP_HOST="127.0.0.1")
    user = get_user_model().objects.get(username="nst-admin")
    client.force_login(user)

    started = client.post(SETUP, {"action": "start"})
    secret = TotpDevice.objects.get(user=user).secret
    page = started.content.decode()
    confirmed = client.post(SETUP, {"action": "confirm", "code": code_at(secret)})

    assert "<svg" in page
    assert "<img" not in page
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page
    assert confirmed.status_code == 200
    assert TotpDevice.objects.get(user=user).confirmed_at is not None
    shown = list(confirmed.context["recovery_codes"])
    assert len(shown) == 10
    assert all(code in confirmed.content.decode() for code in shown)
    assert client.session[VERIFIED_KEY] is True


def test_the_secret_and_recovery_codes_are_not_stored_in_clear(enrolled):
    user, secret, codes = enrolled
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM geoapp_totpdevice WHERE user_id = %s", [user.pk])
        (stored,) = cursor.fetchone()
        cursor.execute("SELECT code_hash FROM geoapp_totprecoverycode")
        hashes = {row[0] for row in cursor.fetchall()}

    assert stored.startswith("enc1:")
    assert secret not in stored
    assert not {code.replace("-", "") for code in codes} & hashes
    assert len(hashes) == 10


def test_a_wrong_confirmation_code_does_not_turn_it_on(db):
    client = Client(HTTP_HOST="127.0.0.1")
    user = get_user_model().objects.get(username="nst-admin")
    client.force_login(user)
    client.post(SETUP, {"action": "start"})
    secret = TotpDevice.objects.get(user=user).secret
    wrong = f"{(int(code_at(secret)) + 1) % 1_000_000:06d}"

    response = client.post(SETUP, {"action": "confirm", "code": wrong})

    assert TotpDevice.objects.get(user=user).confirmed_at is None
    assert "<svg" in response.content.decode()  # still on the enrolment step


def test_login_of_an_enrolled_admin_asks_for_the_code_after_the_password(enrolled):
    _user, secret, _codes = enrolled
    client = Client(HTTP_HOST="127.0.0.1")

    after_password = password_step(client, next_url="/m/nakhon-si-thammarat/")
    assert after_password.status_code == 302
    assert after_password["Location"] == CODE
    assert logged_in_as(client) is None
    form = client.get(CODE)
    assert 'autocomplete="one-time-code"' in form.content.decode()

    after_code = client.post(CODE, {"code": code_at(secret)})

    assert after_code.status_code == 302
    assert after_code["Location"] == "/m/nakhon-si-thammarat/"
    assert logged_in_as(client) is not None
    assert client.get("/m/nakhon-si-thammarat/").status_code == 200


def test_without_next_the_code_step_lands_on_the_users_home(enrolled, chon):
    from geoapp.models import Membership, Role

    user, secret, _codes = enrolled
    # A member of two municipalities lands on the chooser, not on a default page.
    Membership.objects.create(user=user, municipality=chon, role=Role.VIEWER)
    client = Client(HTTP_HOST="127.0.0.1")

    assert password_step(client)["Location"] == CODE
    after_code = client.post(CODE, {"code": code_at(secret)})

    assert after_code["Location"] == "/m/"


def test_a_code_typed_in_thai_digits_with_a_space_is_accepted(enrolled):
    _user, secret, _codes = enrolled
    client = Client(HTTP_HOST="127.0.0.1")
    password_step(client)
    code = code_at(secret).translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))

    response = client.post(CODE, {"code": f"{code[:3]} {code[3:]}"})

    assert response.status_code == 302
    assert logged_in_as(client) is not None


def test_a_wrong_code_is_refused_and_counted(enrolled):
    _user, secret, _codes = enrolled
    client = Client(HTTP_HOST="127.0.0.1")
    password_step(client)
    wrong = f"{(int(code_at(secret)) + 500_000) % 1_000_000:06d}"

    response = client.post(CODE, {"code": wrong})

    assert response.status_code == 200
    assert logged_in_as(client) is None
    assert "ไม่ถูกต้อง" in response.content.decode()
    assert LoginFailure.objects.filter(username="nst-admin").count() == 1


def test_a_code_is_refused_the_second_time_within_its_window(enrolled):
    _user, secret, _codes = enrolled
    first = Client(HTTP_HOST="127.0.0.1")
    password_step(first)
    code = code_at(secret)
    assert first.post(CODE, {"code": code}).status_code == 302

    second = Client(HTTP_HOST="127.0.0.1")
    password_step(second)
    replay = second.post(CODE, {"code": code})

    assert replay.status_code == 200
    assert logged_in_as(second) is None
    # An earlier step than the one used is refused too; a later one still works.
    assert second.post(CODE, {"code": code_at(secret, -30)}).status_code == 200
    assert second.post(CODE, {"code": code_at(secret, +30)}).status_code == 302


def test_a_recovery_code_logs_in_once(enrolled):
    _user, _secret, codes = enrolled
    first = Client(HTTP_HOST="127.0.0.1")
    password_step(first)
    assert first.post(CODE, {"code": codes[0].upper()}).status_code == 302
    assert logged_in_as(first) is not None

    second = Client(HTTP_HOST="127.0.0.1")
    password_step(second)
    again = second.post(CODE, {"code": codes[0]})

    assert again.status_code == 200
    assert logged_in_as(second) is None
    assert TotpRecoveryCode.objects.filter(used_at__isnull=False).count() == 1
    assert second.post(CODE, {"code": codes[1]}).status_code == 302


@override_settings(MUEANG_LOGIN_MAX_FAILURES_PER_USER=3)
def test_the_code_step_is_throttled_like_the_password_step(enrolled):
    _user, secret, _codes = enrolled
    client = Client(HTTP_HOST="127.0.0.1")
    password_step(client)
    wrong = f"{(int(code_at(secret)) + 500_000) % 1_000_000:06d}"
    for _ in range(3):
        assert client.post(CODE, {"code": wrong}).status_code == 200

    response = client.post(CODE, {"code": code_at(secret)})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "รอ" in response.content.decode()
    assert logged_in_as(client) is None
    # The password step waits too: knowing the password does not reset the count.
    assert password_step(Client(HTTP_HOST="127.0.0.1")).status_code == 429


@override_settings(MUEANG_LOGIN_MAX_FAILURES_PER_USER=3)
def test_a_correct_password_does_not_clear_failed_codes(enrolled):
    _user, secret, _codes = enrolled
    wrong = f"{(int(code_at(secret)) + 500_000) % 1_000_000:06d}"
    client = Client(HTTP_HOST="127.0.0.1")
    for _ in range(2):
        assert password_step(client).status_code == 302
        client.post(CODE, {"code": wrong})
    assert password_step(client).status_code == 302
    client.post(CODE, {"code": wrong})

    assert password_step(client).status_code == 429


def test_users_without_an_authenticator_log_in_with_the_password_alone(enrolled):
    client = Client(HTTP_HOST="127.0.0.1")

    response = password_step(client, username="nst-planner")

    assert response.status_code == 302
    assert response["Location"] != CODE
    assert logged_in_as(client) is not None
    assert client.get("/m/nakhon-si-thammarat/").status_code == 200


def test_the_code_page_without_a_password_step_goes_back_to_login(db):
    response = Client(HTTP_HOST="127.0.0.1").post(CODE, {"code": "123456"})

    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_a_session_that_skipped_the_code_step_is_logged_out_of_admin_and_pages(enrolled):
    user, _secret, _codes = enrolled
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)  # as a session opened before enrolment would be

    admin = client.get("/admin/")

    assert admin.status_code == 302
    assert admin["Location"].startswith(LOGIN)
    assert logged_in_as(client) is None
    client.force_login(user)
    assert client.get("/m/nakhon-si-thammarat/").status_code == 302


def test_an_enrolment_reaches_sessions_opened_before_it_within_a_minute(enrolled):
    import time

    from geoapp.accounts.auth import NOT_ENROLLED_KEY, RECHECK_AFTER_S

    user, _secret, _codes = enrolled
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.session
    # This session last found no authenticator just now: it is not asked again yet ...
    session[NOT_ENROLLED_KEY] = time.time()
    session.save()
    assert client.get("/m/nakhon-si-thammarat/").status_code == 200

    # ... but once the minute is over, the enrolment made elsewhere logs it out.
    session = client.session
    session[NOT_ENROLLED_KEY] = time.time() - RECHECK_AFTER_S - 1
    session.save()
    response = client.get("/m/nakhon-si-thammarat/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert logged_in_as(client) is None


def test_after_the_code_step_the_admin_opens(enrolled):
    _user, secret, _codes = enrolled
    client = Client(HTTP_HOST="127.0.0.1")
    password_step(client, next_url="/admin/")

    response = client.post(CODE, {"code": code_at(secret)}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/admin/"


def test_the_admins_own_login_form_sends_to_the_throttled_login(db):
    response = Client(HTTP_HOST="127.0.0.1").get("/admin/login/?next=/admin/layers/road/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fadmin%2Flayers%2Froad%2F"


def test_turning_it_off_needs_the_password_and_a_code(enrolled):
    user, secret, _codes = enrolled
    client = Client(HTTP_HOST="127.0.0.1")
    password_step(client)
    client.post(CODE, {"code": code_at(secret)})

    wrong_password = client.post(
        SETUP,
        {"action": "disable", "disable-password": "nope", "disable-code": code_at(secret, 30)},
    )
    assert TotpDevice.objects.filter(user=user).exists()
    assert wrong_password.status_code == 200
    no_code = client.post(
        SETUP, {"action": "disable", "disable-password": PASSWORD, "disable-code": "000000"}
    )
    assert TotpDevice.objects.filter(user=user).exists()
    assert no_code.status_code == 200

    client.post(
        SETUP,
        {"action": "disable", "disable-password": PASSWORD, "disable-code": code_at(secret, 30)},
    )

    assert not TotpDevice.objects.filter(user=user).exists()
    assert not TotpRecoveryCode.objects.exists()
    assert password_step(Client(HTTP_HOST="127.0.0.1"))["Location"] != CODE


def test_new_recovery_codes_replace_the_old_ones(enrolled):
    _user, secret, old = enrolled
    client = Client(HTTP_HOST="127.0.0.1")
    password_step(client)
    client.post(CODE, {"code": code_at(secret)})

    response = client.post(
        SETUP, {"action": "renew", "renew-password": PASSWORD, "renew-code": code_at(secret, 30)}
    )

    new = response.context["recovery_codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    other = Client(HTTP_HOST="127.0.0.1")
    password_step(other)
    assert other.post(CODE, {"code": old[2]}).status_code == 200
    assert other.post(CODE, {"code": new[0]}).status_code == 302


@pytest.mark.parametrize("username", ["nst-viewer", "nst-health", "nst-planner"])
def test_only_administrators_set_up_a_second_factor(db, username):
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))

    assert client.post(SETUP, {"action": "start"}).status_code == 403
    assert not TotpDevice.objects.exists()


def test_a_platform_superuser_may_enrol(db):
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="platform-admin"))

    response = client.post(SETUP, {"action": "start"})

    assert response.status_code == 200
    assert "<svg" in response.content.decode()


@pytest.mark.parametrize(
    "typed",
    ["", " ", "\x00", "๑๒๓๔๕๖", "9" * 5000, "abcd-efgh-jkmn-pqrs", "\u202e123456", "-1", "1e309"],
)
def test_malformed_codes_are_refused_without_a_server_error(enrolled, typed):
    client = Client(HTTP_HOST="127.0.0.1")
    password_step(client)
    logged_in = Client(HTTP_HOST="127.0.0.1")
    logged_in.force_login(enrolled[0])

    at_login = client.post(CODE, {"code": typed})
    at_setup = logged_in.post(
        SETUP, {"action": "disable", "disable-password": PASSWORD, "disable-code": typed}
    )

    assert at_login.status_code == 200
    assert logged_in_as(client) is None
    assert at_setup.status_code in (200, 302)
    assert TotpDevice.objects.filter(user=enrolled[0]).exists()


def test_a_code_that_starts_with_two_zeros_is_accepted(enrolled):
    # One code in a hundred starts with "00"; the phone-number rules of national IDs and
    # phones once stripped that prefix, so those admins could not log in for 30 seconds.
    from geoapp.accounts.totp import STEP_S, totp_verify

    user, secret, _codes = enrolled
    totp = pyotp.TOTP(secret, interval=STEP_S)
    step = int(time.time() // STEP_S)
    while not totp.generate_otp(step).startswith("00"):
        step += 1
    code = totp.generate_otp(step)

    assert totp_verify(user=user, code=code, now=step * STEP_S)
    assert not totp_verify(user=user, code=code, now=step * STEP_S)
