"""API authentication: a bearer token (mobile app) or the browser's session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from yanxiu.accounts.actions import password_is_expired
from yanxiu.accounts.models import ApiToken, User
from yanxiu.core.errors import PermissionDenied

# With an initial or expired password, only these answer (the same rule as the pages).
PASSWORD_CHANGE_PATHS = ("/api/v1/auth/password", "/api/v1/auth/token")


def require_settled_password(request: HttpRequest, user: User) -> User:
    if (user.must_change_password or password_is_expired(user)) and request.path not in PASSWORD_CHANGE_PATHS:
        raise PermissionDenied("请先修改初始密码（POST /api/v1/auth/password）。", code="password_change_required")
    return user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        now = timezone.now()
        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.digest_of(token), revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        # Touch at most once a minute: the API is hot, the stamp is only for the user's device list.
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        request.api_token = row  # type: ignore[attr-defined]
        return require_settled_password(request, row.user)


class SessionAuth(APIKeyCookie):
    """The signed-in browser; CSRF is checked for unsafe methods by django-ninja."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_authenticated:
            return require_settled_password(request, user)
        return None


token_auth = TokenAuth()
session_auth = SessionAuth()
auth = [token_auth, session_auth]
