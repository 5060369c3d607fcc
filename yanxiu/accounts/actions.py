"""Every write about accounts: signing in and out, passwords, API tokens."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, password_validation, update_session_auth_hash
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from yanxiu.accounts import lockout
from yanxiu.accounts.middleware import SESSION_SEEN, SESSION_STARTED
from yanxiu.accounts.models import ApiToken, User
from yanxiu.core.audit import audit_record
from yanxiu.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from yanxiu.core.masking import redact_identifier
from yanxiu.core.request_context import client_ip

LOCKED_MESSAGE = "登录失败次数过多，账号或当前网络已被锁定 {minutes} 分钟，请稍后再试。"
BAD_CREDENTIALS_MESSAGE = "账号或密码不正确。"


class LoginLocked(ApplicationError):
    code = "login_locked"
    status = 429


def _check_credentials(*, request: HttpRequest, username: str, password: str, via: str) -> User:
    """Lockout first, then the password; a failure is counted and audited, a success clears the
    username's failures. Shared by the sign-in page and the API's token endpoint."""
    ip = client_ip(request)
    # Who tried, as typed, but with a mobile masked: the audit log is kept for good.
    typed = redact_identifier(username)
    detail = {"username": typed, "via": via}
    if lockout.is_locked(username=username, ip=ip):
        audit_record(action="login.locked", request=request, actor_label=typed, detail=detail)
        raise LoginLocked(LOCKED_MESSAGE.format(minutes=settings.LOGIN_LOCKOUT_MINUTES))
    user = authenticate(request, username=username, password=password)
    if user is None:
        with transaction.atomic():
            lockout.failure_record(username=username, ip=ip)
            audit_record(action="login.failed", request=request, actor_label=typed, detail=detail)
        raise ValidationFailed(BAD_CREDENTIALS_MESSAGE, code="bad_credentials")
    assert isinstance(user, User)
    lockout.failures_clear(username=username)
    return user


def user_sign_in(*, request: HttpRequest, username: str, password: str) -> User:
    """Check lockout and password, start the session, and audit the attempt either way."""
    username = (username or "").strip()
    user = _check_credentials(request=request, username=username, password=password, via="web")
    with transaction.atomic():
        login(request, user)
        request.session[SESSION_STARTED] = request.session[SESSION_SEEN] = time.time()
        audit_record(action="login.succeeded", actor=user, request=request, detail={"via": "web"})
    return user


def user_sign_out(*, request: HttpRequest) -> None:
    user = request.user if request.user.is_authenticated else None
    with transaction.atomic():
        if user is not None:
            audit_record(action="logout", actor=user, request=request)
        logout(request)


def password_is_expired(user: User) -> bool:
    days = settings.PASSWORD_EXPIRY_DAYS
    if not days or user.password_changed_at is None:
        return False
    return timezone.now() - user.password_changed_at > timedelta(days=days)


def user_change_password(
    *,
    acting_user: User,
    old_password: str,
    new_password: str,
    request: HttpRequest | None = None,
    keep_session: bool = True,
) -> None:
    """The user changes their own password; validates the policy and keeps the browser session
    signed in (`keep_session`; the API's bearer tokens have no session to keep)."""
    if not acting_user.check_password(old_password):
        raise ValidationFailed("原密码不正确。", code="bad_old_password")
    if old_password == new_password:
        raise ValidationFailed("新密码不能与原密码相同。", code="same_password")
    try:
        password_validation.validate_password(new_password, acting_user)
    except ValidationError as exc:
        raise ValidationFailed("；".join(exc.messages), code="weak_password") from exc
    with transaction.atomic():
        acting_user.set_password(new_password)
        acting_user.must_change_password = False
        acting_user.password_changed_at = timezone.now()
        acting_user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        audit_record(action="password.changed", actor=acting_user, request=request, target=acting_user)
    if request is not None and keep_session:
        update_session_auth_hash(request, acting_user)


def user_issue_initial_password(*, acting_user: User, user: User, request: HttpRequest | None = None) -> str:
    """An administrator gives a user a fresh one-time password; the user must change it at sign-in.

    The caller has already checked scope (org.permissions.access_teacher). Returns the password,
    which is shown once and never stored in clear.
    """
    if user.is_superuser and not acting_user.is_superuser:
        raise PermissionDenied()
    password = generate_initial_password()
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        audit_record(action="password.reset", actor=acting_user, request=request, target=user)
    return password


def generate_initial_password() -> str:
    # Letters and digits without look-alikes (0/O, 1/l/I), easy to read out over the phone.
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def user_set_language(*, user: User, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed("不支持该语言。", code="bad_language")
    User.objects.filter(pk=user.pk).update(language=language)


def api_token_create(
    *, request: HttpRequest, username: str, password: str, name: str = "mobile"
) -> tuple[str, ApiToken]:
    """Exchange credentials for a bearer token (same lockout and audit as the sign-in page)."""
    username = (username or "").strip()
    user = _check_credentials(request=request, username=username, password=password, via="api")
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:64],
            digest=ApiToken.digest_of(raw),
            expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
        )
        audit_record(action="login.succeeded", actor=user, request=request, detail={"via": "api", "token": token.pk})
        # The same signal as the sign-in page: updates last_login, and the learning app records
        # the login as a learning event (accounts must not import learning).
        user_logged_in.send(sender=user.__class__, request=request, user=user)
    return raw, token


def api_token_revoke(*, token: ApiToken, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit_record(action="api_token.revoked", actor=token.user, request=request, target=token)
