"""The heartbeat's short way through the middleware stack.

Every learner's player posts a heartbeat every few seconds. It authenticates by its playback id,
needs no session, user, CSRF token, language, messages or HTML error page, and answers JSON; the
other thirteen middlewares cost more than the heartbeat itself. This middleware, first in the
stack, hands the heartbeat straight to its view (still inside Django's handler: connections are
managed and request signals sent as for any request).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEARTBEAT_PATH = "/learn/heartbeat"


class HeartbeatShortcutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        from yanxiu.learning.views import heartbeat

        self.get_response = get_response
        self.heartbeat = heartbeat

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != HEARTBEAT_PATH:
            return self.get_response(request)
        response = self.heartbeat(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response
