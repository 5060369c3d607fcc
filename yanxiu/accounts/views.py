"""Sign in, sign out, change password, choose the interface language."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from yanxiu.accounts import actions
from yanxiu.accounts.forms import PasswordChangeForm, SignInForm
from yanxiu.core.errors import ApplicationError


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# The blank sign-in page is the same for every anonymous visitor but for the CSRF token. It is
# rendered once per language and process with a placeholder, which each request replaces with its
# own token: about 0.3 ms instead of 2 ms of template rendering (benchmarks/RESULTS.md).
_CSRF_PLACEHOLDER = "yanxiu-csrf-placeholder-c4f1"
_blank_sign_in_pages: dict[str, str] = {}


def _blank_sign_in_page(request: HttpRequest) -> HttpResponse | None:
    """The cached blank page, or None when this request could see anything else on it."""
    if (
        settings.DEBUG  # template edits show at once in development
        or request.GET  # ?next=... is echoed into the form
        or settings.SESSION_COOKIE_NAME in request.COOKIES  # messages may wait in the session
        or "messages" in request.COOKIES  # ... or in their cookie
    ):
        return None
    language = translation.get_language()
    page = _blank_sign_in_pages.get(language)
    if page is None:
        context = {"form": SignInForm(), "error": None, "next": "", "csrf_token": _CSRF_PLACEHOLDER}
        page = render_to_string("accounts/sign_in.html", context, request=request)
        _blank_sign_in_pages[language] = page
    return HttpResponse(page.replace(_CSRF_PLACEHOLDER, get_token(request)))


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(settings.LOGIN_REDIRECT_URL)
    if request.method == "GET" and (page := _blank_sign_in_page(request)) is not None:
        return page
    form = SignInForm(request.POST or None)
    error = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            actions.user_sign_in(
                request=request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except ApplicationError as exc:
            error, status = exc.message, exc.status
        else:
            return HttpResponseRedirect(_safe_next(request, "/"))
    elif request.method == "POST":
        status = 400
    return render(
        request, "accounts/sign_in.html", {"form": form, "error": error, "next": _safe_next(request, "")}, status=status
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    actions.user_sign_out(request=request)
    messages.success(request, "您已安全退出。")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.user_change_password(
                    acting_user=request.user,  # type: ignore[arg-type]
                    old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password"],
                    request=request,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "密码已修改。")
                return redirect("workbench:home")
        status = 400
    forced = getattr(request.user, "must_change_password", False)
    return render(request, "accounts/password_change.html", {"form": form, "forced": forced}, status=status)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request, "/"))
    if language not in dict(settings.LANGUAGES):
        messages.error(request, "不支持该语言。")
        return response
    if request.user.is_authenticated:
        actions.user_set_language(user=request.user, language=language)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
