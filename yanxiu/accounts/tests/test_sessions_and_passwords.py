"""Session expiry, first-login password change, the password policy, language choice."""

from unittest import mock

import pytest
from django.test import Client

from yanxiu.accounts import actions
from yanxiu.accounts.middleware import SESSION_SEEN, SESSION_STARTED
from yanxiu.conftest import PASSWORD
from yanxiu.core.errors import ValidationFailed
from yanxiu.core.models import AuditEvent
from yanxiu.org.models import Role
from yanxiu.org.tests.factories import UserFactory, district_admin

pytestmark = pytest.mark.django_db


def signed_in(username: str = "alice") -> tuple[Client, object]:
    user = UserFactory(username=username)
    client = Client()
    assert client.post("/accounts/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client, user


def test_idle_session_expires_after_30_minutes(regions) -> None:
    admin = district_admin("440105", username="idle")
    client = Client()
    client.post("/accounts/login/", {"username": admin.username, "password": PASSWORD})
    start = client.session[SESSION_STARTED]
    with mock.patch("yanxiu.accounts.middleware.time.time", return_value=start + 29 * 60):
        assert client.get("/org/teachers/").status_code == 200
    with mock.patch("yanxiu.accounts.middleware.time.time", return_value=start + 29 * 60 + 31 * 60):
        response = client.get("/org/teachers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/org/teachers/").status_code == 302  # really signed out


def test_activity_keeps_the_session_until_the_absolute_limit(regions) -> None:
    admin = district_admin("440105", username="busy")
    client = Client()
    client.post("/accounts/login/", {"username": admin.username, "password": PASSWORD})
    start = client.session[SESSION_STARTED]
    # A request every 20 minutes for 11h40m keeps the session alive...
    for minute in range(20, 12 * 60, 20):
        with mock.patch("yanxiu.accounts.middleware.time.time", return_value=start + minute * 60):
            assert client.get("/org/teachers/").status_code == 200, minute
    # ...but not past 12 hours.
    with mock.patch("yanxiu.accounts.middleware.time.time", return_value=start + 12 * 3600 + 60):
        assert client.get("/org/teachers/").status_code == 302


def test_timeouts_are_configurable(regions, settings) -> None:
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 5
    admin = district_admin("440105", username="short")
    client = Client()
    client.post("/accounts/login/", {"username": admin.username, "password": PASSWORD})
    seen = client.session[SESSION_SEEN]
    with mock.patch("yanxiu.accounts.middleware.time.time", return_value=seen + 6 * 60):
        assert client.get("/org/teachers/").status_code == 302


def test_initial_password_must_be_changed_first(regions) -> None:
    user = UserFactory(username="newbie", must_change_password=True)
    client = Client()
    client.post("/accounts/login/", {"username": "newbie", "password": PASSWORD})
    assert client.get("/").url == "/accounts/password/"
    assert client.get("/org/teachers/").url == "/accounts/password/"
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": "Lotus-Pond-2026", "new_password_again": "Lotus-Pond-2026"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert user.check_password("Lotus-Pond-2026")
    assert AuditEvent.objects.filter(action="password.changed", actor=user).exists()
    assert "尚未分配角色" in client.get("/").content.decode()  # free to go on (this user has no role)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short1", "此密码太短，至少要包含 8 个字符"),
        ("12345678", "该密码过于常见"),
        ("password", "该密码过于常见"),
        ("woaini1314", "该密码过于常见"),
        ("84736291", "密码只包含数字"),
    ],
)
def test_weak_passwords_are_refused(regions, new, message) -> None:
    client, user = signed_in()
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password": new, "new_password_again": new}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_wrong_old_password_and_mismatch(regions) -> None:
    client, user = signed_in()
    response = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password": "Lotus-Pond-2026", "new_password_again": "Lotus-Pond-2026"},
    )
    assert "原密码不正确" in response.content.decode()
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": "Lotus-Pond-2026", "new_password_again": "Lotus-Pond-2027"},
    )
    assert "两次输入的新密码不一致" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_composition_rule_is_off_by_default_and_configurable(regions, settings) -> None:
    user = UserFactory(username="comp")
    actions.user_change_password(acting_user=user, old_password=PASSWORD, new_password="lotuspondsummer")
    settings.PASSWORD_REQUIRE_CLASSES = 3
    with pytest.raises(ValidationFailed) as caught:
        actions.user_change_password(acting_user=user, old_password="lotuspondsummer", new_password="lotuspondwinter")
    assert "至少 3 类" in caught.value.message
    actions.user_change_password(acting_user=user, old_password="lotuspondsummer", new_password="Lotus-pond-winter")


def test_password_expiry_is_off_by_default_and_configurable(regions, settings) -> None:
    from datetime import timedelta

    from django.utils import timezone

    client, user = signed_in("expiring")
    type(user).objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=400))
    assert client.get("/").status_code == 200  # no expiry by default
    settings.PASSWORD_EXPIRY_DAYS = 365
    assert client.get("/").url == "/accounts/password/"


def test_language_choice_switches_to_english_and_back(regions) -> None:
    client, user = signed_in("polyglot")
    user.role_assignments.create(role=Role.TUTOR)
    response = client.post("/accounts/language/", {"language": "en", "next": "/workbench/tutor/"})
    assert response["Location"] == "/workbench/tutor/"
    html = client.get("/workbench/tutor/").content.decode()
    assert 'lang="en"' in html and "Sign out" in html
    user.refresh_from_db()
    assert user.language == "en"
    client.post("/accounts/language/", {"language": "zh-hans"})
    assert "退出" in client.get("/workbench/tutor/").content.decode()


def test_unknown_language_is_refused(regions) -> None:
    client, user = signed_in("polyglot2")
    client.post("/accounts/language/", {"language": "xx"})
    user.refresh_from_db()
    assert user.language == ""


def test_browser_language_does_not_override_chinese_first() -> None:
    html = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/accounts/login/").content.decode()
    assert 'lang="zh-CN"' in html


def test_anonymous_language_choice_is_a_cookie_only(regions) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/accounts/language/", {"language": "en", "next": "/accounts/login/"})
    assert response.cookies["django_language"].value == "en"
    assert not [q for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    assert 'lang="en"' in client.get("/accounts/login/").content.decode()
