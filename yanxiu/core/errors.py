"""One error hierarchy for the whole platform, shared by HTML pages, the JSON API and commands.

Every error a user can cause carries a stable code (for scripts and the API) and a Chinese message
(for people). Actions raise them; views, the API handler and management commands render them.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A failure the user can understand and act on; nothing has been written."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **({"extra": self.extra} if self.extra else {})}


class ValidationFailed(ApplicationError):
    code = "validation_failed"
    status = 400


class PermissionDenied(ApplicationError):
    """The user is signed in but may not reach this object or action."""

    code = "permission_denied"
    status = 403

    def __init__(self, message: str = "您没有权限执行此操作。", **kwargs: Any):
        super().__init__(message, **kwargs)


class NotFound(ApplicationError):
    """Also raised for objects outside the user's scope, so their existence is not revealed."""

    code = "not_found"
    status = 404

    def __init__(self, message: str = "找不到您要的内容，或者您无权查看。", **kwargs: Any):
        super().__init__(message, **kwargs)


class Conflict(ApplicationError):
    """Someone else changed the object first, or the request repeats one already handled."""

    code = "conflict"
    status = 409
