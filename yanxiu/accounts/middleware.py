"""Session expiry (idle and absolute) and the forced password change."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

SESSION_STARTED = "_yanxiu_started"
SESSION_SEEN = "_yanxiu_seen"
# Refresh the "last seen" stamp at most this often, so a busy page does not write on every hit.
TOUCH_EVERY_SECONDS = 60


class SessionExpiryMiddleware:
    """Signs the user out after SESSION_IDLE_TIMEOUT_MINUTES idle or SESSION_ABSOLUTE_TIMEOUT_HOURS in all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(SESSION_STARTED)
            seen = request.session.get(SESSION_SEEN)
            idle_limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
            absolute_limit = settings.SESSION_ABSOLUTE_TIMEOUT_HOURS * 3600
            if started is None:
                request.session[SESSION_STARTED] = now
                request.session[SESSION_SEEN] = now
            elif now - float(started) > absolute_limit or (seen is not None and now - float(seen) > idle_limit):
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(request, "您已长时间未操作，为保护账号安全已自动退出，请重新登录。")
                    return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
            elif seen is None or now - float(seen) > TOUCH_EVERY_SECONDS:
                request.session[SESSION_SEEN] = now
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """A user with an initial (or expired) password can only reach the change-password page."""

    # The API enforces the same rule itself (yanxiu.api.auth) with a JSON answer.
    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/api/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(self.ALLOWED_PREFIXES):
            from yanxiu.accounts.actions import password_is_expired

            if getattr(user, "must_change_password", False) or password_is_expired(user):
                return redirect("accounts:password_change")
        return self.get_response(request)


class LanguageMiddleware:
    """Chinese first: the language cookie, else the user's saved choice, else zh-hans.

    Unlike Django's LocaleMiddleware the browser's Accept-Language is not consulted, so a
    teacher on an English-language phone still gets the Chinese interface until they choose.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        available = dict(settings.LANGUAGES)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in available:
            language = getattr(request.user, "language", "") or ""
        if language not in available:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
