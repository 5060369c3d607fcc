"""The JSON API root at /api/v1/: authentication, the shared error handler, each app's router."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from yanxiu.api.auth import auth
from yanxiu.core.errors import ApplicationError

api = NinjaAPI(
    title="研修平台 API",
    version="1",
    description="研修 Yanxiu JSON API。认证：先以 POST /api/v1/auth/token 换取令牌，之后在请求头加 "
    "`Authorization: Bearer <令牌>`；浏览器内也可使用登录会话。所有数据按用户的管辖范围过滤。",
    auth=auth,
    urls_namespace="api",
)


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"code": "unauthenticated", "message": "请先登录或提供有效的令牌。"}, status=401
    )


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request,
        {"code": "validation_failed", "message": "请求参数不正确。", "extra": {"errors": exc.errors}},
        status=422,
    )


def _register_routers() -> None:
    from yanxiu.accounts.api import router as accounts_router
    from yanxiu.learning.api import router as learning_router
    from yanxiu.org.api import me_router
    from yanxiu.org.api import router as org_router

    api.add_router("/", accounts_router)
    api.add_router("/", me_router)
    api.add_router("/org/", org_router)
    api.add_router("/learning/", learning_router)


_register_routers()
