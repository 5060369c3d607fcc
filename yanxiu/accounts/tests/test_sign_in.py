"""Signing in by 教师编号 or mobile, lockout, audit, the anonymous login page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from yanxiu.accounts.models import LoginFailure, User
from yanxiu.conftest import PASSWORD
from yanxiu.core.models import AuditEvent
from yanxiu.org.tests.factories import TeacherFactory, UserFactory

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.fixture
def teacher(regions):
    teacher = TeacherFactory(teacher_no="GZ123456")
    teacher.user.mobile = "13800000001"
    teacher.user.save()
    return teacher


def test_login_page_is_chinese_and_writes_nothing() -> None:
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "登录研修平台" in html and "教师编号或手机号" in html
    assert 'lang="zh-CN"' in html
    assert queries.captured_queries == []  # not even a read: no session row, no log row
    assert "sessionid" not in response.cookies


def test_sign_in_by_teacher_number(teacher) -> None:
    client = Client()
    response = sign_in(client, "GZ123456")
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # on to the workbench
    event = AuditEvent.objects.get(action="login.succeeded")
    assert event.actor == teacher.user
    assert event.ip == "127.0.0.1"


def test_sign_in_by_teacher_number_ignores_case(teacher) -> None:
    assert sign_in(Client(), "gz123456").status_code == 302


def test_sign_in_by_mobile(teacher) -> None:
    assert sign_in(Client(), "13800000001").status_code == 302


def test_wrong_password_is_explained_and_audited(teacher) -> None:
    response = sign_in(Client(), "GZ123456", "wrong-password")
    assert response.status_code == 400
    assert "账号或密码不正确" in response.content.decode()
    event = AuditEvent.objects.get(action="login.failed")
    assert event.actor is None and event.actor_label == "GZ123456"


def test_unknown_user_gets_the_same_message(teacher) -> None:
    response = sign_in(Client(), "nobody")
    assert "账号或密码不正确" in response.content.decode()


def test_empty_form_is_explained() -> None:
    response = Client().post(LOGIN, {"username": "", "password": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请输入教师编号或手机号" in html and "请输入密码" in html


def test_inactive_user_cannot_sign_in(teacher) -> None:
    User.objects.filter(pk=teacher.user.pk).update(is_active=False)
    assert sign_in(Client(), "GZ123456").status_code == 400


def test_five_failures_lock_the_username_even_with_the_right_password(teacher) -> None:
    for n in range(5):
        sign_in(Client(REMOTE_ADDR=f"10.0.0.{n}"), "GZ123456", "wrong")
    response = sign_in(Client(REMOTE_ADDR="10.0.1.1"), "GZ123456")
    assert response.status_code == 429
    assert "锁定 30 分钟" in response.content.decode()
    assert AuditEvent.objects.filter(action="login.locked").count() == 1
    # The same person by mobile is a different username key but the account is still the same
    # person: lockout is per typed username and per IP, as specified.
    assert sign_in(Client(REMOTE_ADDR="10.0.1.2"), "13800000001").status_code == 302


def test_five_failures_from_one_ip_lock_that_ip_for_every_username(teacher) -> None:
    other = UserFactory(username="someone")
    for n in range(5):
        sign_in(Client(REMOTE_ADDR="10.9.9.9"), f"guess{n}", "wrong")
    assert sign_in(Client(REMOTE_ADDR="10.9.9.9"), other.username).status_code == 429
    assert sign_in(Client(REMOTE_ADDR="10.9.9.8"), other.username).status_code == 302


def test_lockout_ends_after_the_window(teacher) -> None:
    for _ in range(5):
        sign_in(Client(), "GZ123456", "wrong")
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=31))
    assert sign_in(Client(), "GZ123456").status_code == 302


def test_lockout_is_configurable(teacher, settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_LOCKOUT_MINUTES = 5
    for _ in range(2):
        sign_in(Client(), "GZ123456", "wrong")
    response = sign_in(Client(), "GZ123456")
    assert response.status_code == 429 and "锁定 5 分钟" in response.content.decode()


def test_success_clears_the_usernames_failures(teacher) -> None:
    for _ in range(4):
        sign_in(Client(), "GZ123456", "wrong")
    sign_in(Client(REMOTE_ADDR="10.1.1.1"), "GZ123456")
    assert not LoginFailure.objects.filter(username="gz123456").exists()


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(teacher, settings) -> None:
    sign_in(Client(), "GZ123456", "wrong", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert LoginFailure.objects.get().ip == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    sign_in(Client(), "GZ123456", "wrong", HTTP_X_FORWARDED_FOR="9.9.9.9, 1.2.3.4")
    assert LoginFailure.objects.latest("pk").ip == "1.2.3.4"


def test_open_redirect_is_refused(teacher) -> None:
    response = Client().post(LOGIN, {"username": "GZ123456", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_next_inside_the_site_is_followed(teacher) -> None:
    response = Client().post(LOGIN, {"username": "GZ123456", "password": PASSWORD, "next": "/org/teachers/"})
    assert response["Location"] == "/org/teachers/"


def test_sign_out_needs_post_and_is_audited(teacher) -> None:
    client = Client()
    sign_in(client, "GZ123456")
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="logout", actor=teacher.user).exists()
    assert client.get("/").status_code == 302
    assert client.get("/").url.startswith(reverse("accounts:login"))


@pytest.mark.argon2
def test_passwords_are_hashed_with_argon2(regions) -> None:
    user = UserFactory(username="argon")
    assert user.password.startswith("argon2$")
    assert sign_in(Client(), "argon").status_code == 302


def test_ip_limit_is_separately_configurable(teacher, settings) -> None:
    """A school behind one NAT address: the network's limit can be raised alone."""
    settings.LOGIN_IP_FAILURE_LIMIT = 20
    for n in range(6):
        sign_in(Client(REMOTE_ADDR="10.7.7.7"), f"colleague{n}", "wrong")
    assert sign_in(Client(REMOTE_ADDR="10.7.7.7"), "GZ123456").status_code == 302


def test_cached_blank_page_carries_each_visitors_own_csrf_token(teacher) -> None:
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_one = first.get(LOGIN).content.decode()
    page_two = second.get(LOGIN).content.decode()
    assert "yanxiu-csrf-placeholder" not in page_one
    token_one = page_one.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    token_two = page_two.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert token_one != token_two
    assert f'"X-CSRFToken": "{token_one}"' in page_one  # htmx header carries the same token
    # The cached page's token really works, and another visitor's does not.
    refused = second.post(LOGIN, {"username": "GZ123456", "password": PASSWORD, "csrfmiddlewaretoken": token_one})
    assert refused.status_code == 403
    accepted = first.post(LOGIN, {"username": "GZ123456", "password": PASSWORD, "csrfmiddlewaretoken": token_one})
    assert accepted.status_code == 302


def test_cached_page_is_per_language_and_skipped_when_it_could_differ(teacher) -> None:
    chinese = Client().get(LOGIN).content.decode()
    english_client = Client()
    english_client.cookies["django_language"] = "en"
    english = english_client.get(LOGIN).content.decode()
    assert "登录研修平台" in chinese and 'lang="en"' in english and "登录研修平台" not in english
    with_next = Client().get(LOGIN, {"next": "/org/teachers/"}).content.decode()
    assert 'name="next" value="/org/teachers/"' in with_next
    # A message waiting for the visitor (here: after signing out) is shown, not a cached page.
    client = Client()
    sign_in(client, "GZ123456")
    client.post("/accounts/logout/")
    assert "您已安全退出" in client.get(LOGIN).content.decode()


def test_a_mobile_typed_at_sign_in_is_masked_in_the_audit_log(teacher) -> None:
    sign_in(Client(), "13800000001", "wrong")
    event = AuditEvent.objects.get(action="login.failed")
    assert event.actor_label == "138****0001"
    assert event.detail["username"] == "138****0001"
    assert "13800000001" not in str(event.detail)
