"""Signal receivers of the learning app: a successful sign-in becomes a `logged-in` statement.

Why a signal: accounts is a lower layer than learning (the import contract in pyproject.toml),
so the sign-in action cannot call learning. Django's `user_logged_in`, sent by
django.contrib.auth.login() for the sign-in page, /sysadmin/ and the tests' force_login, lets
learning listen without accounts knowing. The receiver only records; it holds no rule.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from yanxiu.learning.statements import LOGGED_IN, record

_MOBILE_MARKERS = ("Mobile", "Android", "iPhone", "iPad", "HarmonyOS")


def login_statement_record(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Only the kind of device, for reports of how teachers study: no IP, no user agent string.
    context = None
    if request is not None:
        agent = request.headers.get("User-Agent", "")
        context = {"platform": "web", "device": "mobile" if any(m in agent for m in _MOBILE_MARKERS) else "desktop"}
    record(actor_id=user.pk, verb=LOGGED_IN, object_type="platform", object_id=0, context=context)
