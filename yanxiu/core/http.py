"""Request types for views, so the checker knows what middleware has attached."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from yanxiu.accounts.models import User


class AuthedRequest(HttpRequest):
    """A request behind @login_required: `user` is a signed-in User; `htmx` from django-htmx."""

    user: User
    htmx: HtmxDetails
