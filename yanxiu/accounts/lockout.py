"""Lockout after repeated failures, counted per username and, separately, per IP address.

Failures live in the database (LoginFailure) so that every server process sees the same count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from yanxiu.accounts.models import LoginFailure


def _window_start() -> datetime:
    return timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def is_locked(*, username: str, ip: str | None) -> bool:
    """True when the username or the IP reached the failure limit within the lockout window."""
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    if recent.filter(username=username.strip().lower()).count() >= settings.LOGIN_FAILURE_LIMIT:
        return True
    return ip is not None and recent.filter(ip=ip).count() >= settings.LOGIN_IP_FAILURE_LIMIT


def failure_record(*, username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=username.strip().lower()[:150], ip=ip)


def failures_clear(*, username: str) -> None:
    """A successful sign-in forgives that username's failures (not the IP's)."""
    LoginFailure.objects.filter(username=username.strip().lower()).delete()


def failures_prune() -> int:
    """Drop failures older than the window; run from a periodic job."""
    deleted, _ = LoginFailure.objects.filter(at__lt=_window_start()).delete()
    return deleted
