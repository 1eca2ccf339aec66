"""Staff pages (issue 16): members, roles, set-password links, "Forgot password", the log."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import strategies as st

from geoapp.accounts.totp import totp_enrolment_confirm, totp_enrolment_start
from geoapp.models import Membership, MembershipChange, Role
from layers.tenancy import all_municipality_ids, tenant_scope_set
from tests.geoapp.test_forms_fuzz import fuzz_post

NST = "nakhon-si-thammarat"
NEW_PASSWORD = "ยุงลาย-ไม่มา-2569"
LINK = re.compile(r'id="set-password-link" type="text" readonly value="([^"]+)"')


def client_for(username: str | None = None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def staff_url(name: str, user=None, code: str = NST) -> str:
    kwargs: dict[str, object] = {"code": code}
    if user is not None:
        kwargs["user_id"] = user.pk
    return reverse(name, kwargs=kwargs)


def add_member(client: Client, username: str = "malee", **fields):
    data = {"username": username, "first_name": "มาลี", "last_name": "ใจดี", "email": "",
            "roles": [Role.HEALTH_OFFICER]} | fields  # fmt: skip
    return client.post(staff_url("staff-add"), data)


def link_in(response) -> str:
    found = LINK.search(response.content.decode())
    assert found, "the page shows no set-password link"
    return found.group(1)


def set_password(link: str, password: str = NEW_PASSWORD) -> Client:
    """Open the link as the new member (another browser) and choose the password."""
    member = client_for()
    opened = member.get(link)
    assert opened.status_code == 302  # Django moves the token out of the address first
    form_url = opened["Location"]
    assert link.rsplit("/", 2)[-2] not in form_url
    done = member.post(form_url, {"new_password1": password, "new_password2": password})
    assert done.status_code == 302
    assert done["Location"] == reverse("password-set-done")
    return member


def kinds(nst, username: str) -> list[tuple[str, str]]:
    """The log's entries about the user, oldest first (seen with the test's whole scope)."""
    # A request's scope lasts until the test's transaction ends: take the whole scope back.
    tenant_scope_set(municipality_ids=all_municipality_ids())
    return list(
        MembershipChange.objects.filter(municipality=nst, subject_username=username)
        .order_by("pk")
        .values_list("kind", "role")
    )


# --- Adding a member and the set-password link -----------------------------------------------


def test_the_administrator_adds_a_health_officer_who_sets_a_password_and_logs_in(nst):
    added = add_member(client_for("nst-admin"))

    user = get_user_model().objects.get(username="malee")
    link = link_in(added)
    assert added.status_code == 200
    assert "no-store" in added["Cache-Control"]
    assert not user.has_usable_password()
    assert user.get_full_name() == "มาลี ใจดี"
    assert set(Membership.objects.filter(user=user).values_list("role", flat=True)) == {
        Role.HEALTH_OFFICER
    }
    set_password(link)
    assert authenticate(username="malee", password=NEW_PASSWORD) is not None
    logged_in = client_for()
    logged_in.post(reverse("login"), {"username": "malee", "password": NEW_PASSWORD})
    assert logged_in.get(f"/m/{NST}/dengue/").status_code == 200
    assert kinds(nst, "malee") == [
        (MembershipChange.Kind.ACCOUNT_CREATED, ""),
        (MembershipChange.Kind.ROLE_GIVEN, Role.HEALTH_OFFICER),
    ]


def test_a_link_works_once(nst):
    link = link_in(add_member(client_for("nst-admin")))
    set_password(link)

    again = client_for().get(link)

    assert again.status_code == 200
    assert 'id="link-invalid"' in again.content.decode()


def test_a_tampered_link_is_refused(nst):
    link = link_in(add_member(client_for("nst-admin")))
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa/") else "bbb") + "/"

    response = client_for().get(tampered)

    assert response.status_code == 200
    assert 'id="link-invalid"' in response.content.decode()


def test_passwords_go_through_the_validators(nst):
    link = link_in(add_member(client_for("nst-admin")))
    member = client_for()
    form_url = member.get(link)["Location"]

    weak = member.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})

    assert weak.status_code == 200
    assert 'role="alert"' in weak.content.decode()
    assert not get_user_model().objects.get(username="malee").has_usable_password()


def test_the_link_page_keeps_the_token_out_of_the_referer(nst):
    link = link_in(add_member(client_for("nst-admin")))
    member = client_for()
    form_page = member.get(member.get(link)["Location"])

    assert form_page["Referrer-Policy"] == "same-origin"
    assert link.rsplit("/", 2)[-2] not in form_page.content.decode()


def test_the_link_is_emailed_only_when_email_is_set_up(nst, settings):
    settings.MUEANG_EMAIL_ENABLED = False
    add_member(client_for("nst-admin"), "no-mail", email="nomail@example.go.th")
    assert mail.outbox == []

    settings.MUEANG_EMAIL_ENABLED = True
    sent = add_member(client_for("nst-admin"), "by-mail", email="bymail@example.go.th")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["bymail@example.go.th"]
    assert link_in(sent) in mail.outbox[0].body
    assert "bymail@example.go.th" in sent.content.decode()


@pytest.mark.parametrize("page", ["add", "forgot"])
def test_a_mail_server_that_is_down_costs_no_account_and_no_500(nst, settings, page):
    """A real SMTP backend pointed at a closed port: the connection is refused."""
    settings.MUEANG_EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 1, False
    settings.EMAIL_TIMEOUT = 5
    health = get_user_model().objects.get(username="nst-health")
    health.email = "health@example.go.th"
    health.save()

    if page == "add":
        response = add_member(client_for("nst-admin"), "mail-down", email="down@example.go.th")
        assert response.status_code == 200
        assert link_in(response)
        assert 'id="link-delivery"' in response.content.decode()
        assert "down@example.go.th" not in response.content.decode()
        assert get_user_model().objects.filter(username="mail-down").exists()
    else:
        response = client_for().post(FORGOT, {"email": "health@example.go.th"})
        assert response.status_code == 302


def test_a_reset_link_for_a_member_replaces_a_lost_one(nst):
    admin = client_for("nst-admin")
    first = link_in(add_member(admin))
    user = get_user_model().objects.get(username="malee")

    page = admin.get(staff_url("staff-link", user))
    issued = admin.post(staff_url("staff-link", user))

    assert page.status_code == 200
    assert "no-store" in issued["Cache-Control"]
    set_password(link_in(issued))
    assert 'id="link-invalid"' in client_for().get(first).content.decode()
    assert kinds(nst, "malee")[-1] == (MembershipChange.Kind.LINK_ISSUED, "")


def test_setting_a_password_does_not_skip_the_authenticator_app(nst):
    link = link_in(add_member(client_for("nst-admin"), "totp-user"))
    set_password(link)
    user = get_user_model().objects.get(username="totp-user")
    secret = totp_enrolment_start(user=user).secret
    assert totp_enrolment_confirm(user=user, code=pyotp.TOTP(secret).now())
    reset = client_for("nst-admin").post(staff_url("staff-link", user))
    member = set_password(link_in(reset), "อีกรหัสหนึ่ง-ยาวพอ-2569")

    login = member.post(
        reverse("login"), {"username": "totp-user", "password": "อีกรหัสหนึ่ง-ยาวพอ-2569"}
    )

    assert login["Location"] == reverse("login-code")
    assert "_auth_user_id" not in member.session


def test_an_existing_account_is_added_as_it_is(nst, chon):
    existing = get_user_model().objects.create_user(
        "somchai", password="รหัสเดิม-ของสมชาย-1", first_name="สมชาย"
    )
    Membership.objects.create(user=existing, municipality=chon, role=Role.PLANNER)

    added = add_member(client_for("nst-admin"), "somchai", first_name="ชื่อใหม่", email="x@y.th")

    existing.refresh_from_db()
    assert added.status_code == 302
    assert existing.first_name == "สมชาย"
    assert existing.email == ""
    assert existing.check_password("รหัสเดิม-ของสมชาย-1")
    assert Membership.objects.filter(user=existing, municipality=nst).count() == 1
    assert kinds(nst, "somchai")[0] == (MembershipChange.Kind.MEMBER_ADDED, "")


def test_a_member_cannot_be_added_twice(nst):
    response = add_member(client_for("nst-admin"), "nst-viewer")

    assert response.status_code == 400
    assert "nst-viewer" in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": ""}, "username"),
        ({"username": "มี ช่องว่าง"}, "username"),
        ({"username": "<script>alert(1)</script>"}, "username"),
        ({"username": "x" * 151}, "username"),
        ({"roles": []}, "roles"),
        ({"roles": ["superuser"]}, "roles"),
        ({"email": "not-an-address"}, "email"),
    ],
)
def test_bad_input_is_a_400_with_a_reason_and_creates_nothing(nst, fields, field):
    before = get_user_model().objects.count()

    response = add_member(client_for("nst-admin"), **fields)

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert "<script>alert" not in response.content.decode()
    assert get_user_model().objects.count() == before


# --- Roles, removal and the administrator rule ---------------------------------------------


def test_roles_are_given_and_taken_and_logged(nst):
    viewer = get_user_model().objects.get(username="nst-viewer")

    saved = client_for("nst-admin").post(
        staff_url("staff-member", viewer), {"roles": [Role.PLANNER, Role.VOLUNTEER]}
    )

    assert saved.status_code == 302
    assert set(Membership.objects.filter(user=viewer, municipality=nst).values_list(
        "role", flat=True)) == {Role.PLANNER, Role.VOLUNTEER}  # fmt: skip
    assert set(kinds(nst, "nst-viewer")) == {
        (MembershipChange.Kind.ROLE_TAKEN, Role.VIEWER),
        (MembershipChange.Kind.ROLE_GIVEN, Role.PLANNER),
        (MembershipChange.Kind.ROLE_GIVEN, Role.VOLUNTEER),
    }


def test_the_last_administrator_cannot_give_up_the_role(nst):
    admin = get_user_model().objects.get(username="nst-admin")
    client = client_for("nst-admin")

    demoted = client.post(staff_url("staff-member", admin), {"roles": [Role.VIEWER]})
    removed = client.post(staff_url("staff-remove", admin))

    assert demoted.status_code == 400
    assert removed.status_code == 400
    assert Membership.objects.filter(user=admin, municipality=nst, role=Role.ADMIN).exists()
    assert get_user_model().objects.get(username="nst-admin").is_active


def test_an_administrator_may_step_down_once_another_one_exists(nst):
    admin = get_user_model().objects.get(username="nst-admin")
    client = client_for("nst-admin")
    editor = get_user_model().objects.get(username="nst-editor")
    client.post(staff_url("staff-member", editor), {"roles": [Role.EDITOR, Role.ADMIN]})

    demoted = client.post(staff_url("staff-member", admin), {"roles": [Role.VIEWER]})

    assert demoted.status_code == 302
    assert not Membership.objects.filter(user=admin, municipality=nst, role=Role.ADMIN).exists()


def test_removing_a_member_known_only_here_deactivates_the_account(nst):
    add_member(client_for("nst-admin"), "leaver")
    leaver = get_user_model().objects.get(username="leaver")

    page = client_for("nst-admin").get(staff_url("staff-remove", leaver))
    removed = client_for("nst-admin").post(staff_url("staff-remove", leaver))

    leaver.refresh_from_db()
    assert page.status_code == 200
    assert removed.status_code == 302
    assert not leaver.is_active
    assert not Membership.objects.filter(user=leaver).exists()
    assert kinds(nst, "leaver")[-2:] == [
        (MembershipChange.Kind.MEMBER_REMOVED, Role.HEALTH_OFFICER),
        (MembershipChange.Kind.ACCOUNT_DEACTIVATED, ""),
    ]


def test_adding_a_deactivated_account_known_only_here_again_reactivates_it(nst):
    admin = client_for("nst-admin")
    add_member(admin, "returner")
    returner = get_user_model().objects.get(username="returner")
    admin.post(staff_url("staff-remove", returner))

    again = add_member(admin, "returner", roles=[Role.VOLUNTEER])

    returner.refresh_from_db()
    assert again.status_code == 200  # a link again: the account belongs to nobody else
    assert returner.is_active
    assert kinds(nst, "returner")[-2:][0][0] == MembershipChange.Kind.ACCOUNT_REACTIVATED


# --- Pages and who may see them ---------------------------------------------------------------


def test_the_staff_list_shows_who_has_which_role(nst):
    with translation.override("th"):
        page = client_for("nst-admin").get(staff_url("staff-list")).content.decode()

    row = re.search(r'<tr data-username="nst-health">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r'<td class="staff-role">(.*?)</td>', row, re.S)
    assert len(cells) == len(Role.values)
    assert ["✓" in cell for cell in cells] == [v == Role.HEALTH_OFFICER for v in Role.values]
    assert "อาสาสมัครสาธารณสุขประจำหมู่บ้าน (อสม.)" in page


def test_the_log_shows_who_changed_what_with_buddhist_era_dates(nst):
    add_member(client_for("nst-admin"), "logged")

    page = client_for("nst-admin").get(staff_url("staff-log")).content.decode()

    assert "logged" in page
    assert "nst-admin" in page
    assert re.search(r"\b25[6-9]\d\b", page)


def test_only_administrators_see_the_staff_link_on_the_home_page(nst):
    home = f"/m/{NST}/"

    assert 'id="nav-staff"' in client_for("nst-admin").get(home).content.decode()
    assert 'id="nav-staff"' not in client_for("nst-health").get(home).content.decode()


MEMBER_PAGES = ["staff-member", "staff-remove", "staff-link"]
STAFF_PAGES = ["staff-list", "staff-add", "staff-log", *MEMBER_PAGES]


@pytest.mark.parametrize("name", STAFF_PAGES)
@pytest.mark.parametrize(
    "username",
    ["nst-viewer", "nst-planner", "nst-health", "nst-disaster", "nst-editor", "nst-volunteer"],
)
def test_members_without_the_administrator_role_get_403(nst, name, username):
    target = get_user_model().objects.get(username="nst-viewer")
    url = staff_url(name, target if name in MEMBER_PAGES else None)
    client = client_for(username)

    assert client.get(url).status_code == 403
    assert client.post(url, {"username": "intruder", "roles": [Role.ADMIN]}).status_code == 403
    assert not get_user_model().objects.filter(username="intruder").exists()
    assert set(Membership.objects.filter(user=target, municipality=nst).values_list(
        "role", flat=True)) == {Role.VIEWER}  # fmt: skip


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_the_administrator_gets_every_staff_page(nst, name):
    target = get_user_model().objects.get(username="nst-viewer")

    response = client_for("nst-admin").get(
        staff_url(name, target if name in MEMBER_PAGES else None)
    )

    assert response.status_code == 200


def test_someone_who_is_not_a_member_here_has_no_member_page(nst):
    stranger = get_user_model().objects.create_user("stranger")
    client = client_for("nst-admin")

    for name in MEMBER_PAGES:
        assert client.get(staff_url(name, stranger)).status_code == 404
        assert client.post(staff_url(name, stranger), {"roles": [Role.ADMIN]}).status_code == 404
    assert not Membership.objects.filter(user=stranger).exists()
    assert client.get(f"/m/{NST}/staff/99999999999/").status_code == 404


# --- Forgot password ----------------------------------------------------------------------------


FORGOT = "/accounts/password/forgot/"


def test_the_login_page_links_to_forgot_password(db):
    assert FORGOT in client_for().get(reverse("login")).content.decode()


def test_without_email_forgot_password_says_to_ask_the_administrator(db, settings):
    settings.MUEANG_EMAIL_ENABLED = False

    page = client_for().get(FORGOT)
    posted = client_for().post(FORGOT, {"email": "health@example.go.th"})

    assert 'id="ask-administrator"' in page.content.decode()
    assert 'id="forgot-form"' not in page.content.decode()
    assert posted.status_code == 400
    assert mail.outbox == []


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(db, settings):
    settings.MUEANG_EMAIL_ENABLED = True
    known = get_user_model().objects.get(username="nst-health")
    known.email = "health@example.go.th"
    known.save()

    for_known = client_for().post(FORGOT, {"email": "Health@example.go.th"})
    for_unknown = client_for().post(FORGOT, {"email": "nobody@example.go.th"})

    assert for_known.status_code == for_unknown.status_code == 302
    assert for_known["Location"] == for_unknown["Location"]
    assert [message.to for message in mail.outbox] == [["health@example.go.th"]]
    link = re.search(r"http://\S+/accounts/password/set/\S+/", mail.outbox[0].body).group(0)
    set_password(link)
    assert authenticate(username="nst-health", password=NEW_PASSWORD) is not None


def test_forgot_password_is_throttled(db, settings):
    settings.MUEANG_EMAIL_ENABLED = True
    settings.MUEANG_LOGIN_MAX_FAILURES_PER_USER = 3
    client = client_for()

    answers = [client.post(FORGOT, {"email": "flood@example.go.th"}).status_code for _ in range(4)]

    assert answers == [302, 302, 302, 429]


def test_forgot_password_is_throttled_for_a_long_address_too(db, settings):
    settings.MUEANG_EMAIL_ENABLED = True
    settings.MUEANG_LOGIN_MAX_FAILURES_PER_USER = 2
    address = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.go.th"
    client = client_for()

    answers = [client.post(FORGOT, {"email": address}).status_code for _ in range(3)]

    assert answers == [302, 302, 429]


def test_a_bad_address_is_a_400(db, settings):
    settings.MUEANG_EMAIL_ENABLED = True

    response = client_for().post(FORGOT, {"email": "not an address"})

    assert response.status_code == 400
    assert mail.outbox == []


# --- Malformed input never answers 500 (the fuzzing of tests/geoapp/test_forms_fuzz.py) ---------


def test_the_staff_forms_take_malformed_input_without_a_server_error(nst):
    admin = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    admin.force_login(get_user_model().objects.get(username="nst-admin"))
    viewer = get_user_model().objects.get(username="nst-viewer")
    roles = st.sampled_from([Role.VIEWER, Role.VOLUNTEER, Role.ADMIN])
    fuzz_post(
        admin,
        staff_url("staff-add"),
        {
            "username": st.sampled_from(["fuzz-user", "nst-viewer", "ผู้ใช้ใหม่"]),
            "first_name": st.just("ทดสอบ"),
            "email": st.just("fuzz@example.go.th"),
            "roles": roles,
        },
    )
    fuzz_post(admin, staff_url("staff-member", viewer), {"roles": roles})


def test_forgot_password_and_the_link_form_take_malformed_input(nst, settings):
    settings.MUEANG_EMAIL_ENABLED = True
    settings.MUEANG_LOGIN_MAX_FAILURES_PER_USER = 10**6
    settings.MUEANG_LOGIN_MAX_FAILURES_PER_ADDRESS = 10**6
    anonymous = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    fuzz_post(anonymous, FORGOT, {"email": st.just("health@example.go.th")})
    link = link_in(add_member(client_for("nst-admin"), "fuzz-link"))
    member = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    form_url = member.get(link)["Location"]
    password = st.just("ยาวพอ-และไม่ง่าย-2569")
    fuzz_post(member, form_url, {"new_password1": password, "new_password2": password})


# --- The Django admin: read-only for municipality administrators, logged for the platform -----


def test_municipality_administrators_cannot_change_memberships_in_the_django_admin(nst):
    viewer = Membership.objects.get(user__username="nst-viewer", municipality=nst)
    admin = client_for("nst-admin")
    before = Membership.objects.count()

    add = admin.post(
        reverse("admin:geoapp_membership_add"),
        {"user": viewer.user_id, "municipality": nst.pk, "role": Role.ADMIN},
    )
    delete = admin.post(
        reverse("admin:geoapp_membership_delete", args=[viewer.pk]), {"post": "yes"}
    )

    tenant_scope_set(municipality_ids=all_municipality_ids())
    assert add.status_code == 403
    assert delete.status_code == 403
    assert Membership.objects.count() == before


def test_a_platform_superusers_membership_edits_in_the_django_admin_are_logged(nst):
    user = get_user_model().objects.create_user("admin-edited")
    platform = client_for("platform-admin")

    added = platform.post(
        reverse("admin:geoapp_membership_add"),
        {"user": user.pk, "municipality": nst.pk, "role": Role.VOLUNTEER},
    )
    membership = Membership.objects.get(user=user)
    changed = platform.post(
        reverse("admin:geoapp_membership_change", args=[membership.pk]),
        {"user": user.pk, "municipality": nst.pk, "role": Role.VIEWER},
    )
    deleted = platform.post(
        reverse("admin:geoapp_membership_delete", args=[membership.pk]), {"post": "yes"}
    )

    assert [added.status_code, changed.status_code, deleted.status_code] == [302, 302, 302]
    assert kinds(nst, "admin-edited") == [
        (MembershipChange.Kind.ROLE_GIVEN, Role.VOLUNTEER),
        (MembershipChange.Kind.ROLE_TAKEN, Role.VOLUNTEER),
        (MembershipChange.Kind.ROLE_GIVEN, Role.VIEWER),
        (MembershipChange.Kind.ROLE_TAKEN, Role.VIEWER),
    ]
    assert set(MembershipChange.objects.filter(subject_username="admin-edited").values_list(
        "actor_username", flat=True)) == {"platform-admin"}  # fmt: skip
