from django.http import HttpRequest
from ninja import Router, Schema, Status

from yanxiu.accounts import actions

router = Router(tags=["账号"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = "mobile"


class TokenOut(Schema):
    token: str
    expires_at: str


@router.post("/auth/token", auth=None, response=TokenOut, summary="以教师编号或手机号和密码换取令牌")
def token_create(request: HttpRequest, payload: TokenIn) -> dict:
    raw, token = actions.api_token_create(
        request=request, username=payload.username, password=payload.password, name=payload.name
    )
    return {"token": raw, "expires_at": token.expires_at.isoformat()}


class PasswordIn(Schema):
    old_password: str
    new_password: str


@router.post("/auth/password", response={204: None}, summary="修改自己的密码（首次登录须先修改初始密码）")
def password_change(request: HttpRequest, payload: PasswordIn) -> Status[None]:
    actions.user_change_password(
        acting_user=request.auth,  # type: ignore[attr-defined]
        old_password=payload.old_password,
        new_password=payload.new_password,
        request=request,
        keep_session=getattr(request, "api_token", None) is None,
    )
    return Status(204, None)


@router.delete("/auth/token", response={204: None}, summary="注销当前令牌")
def token_revoke(request: HttpRequest) -> Status[None]:
    token = getattr(request, "api_token", None)
    if token is not None:
        actions.api_token_revoke(token=token, request=request)
    return Status(204, None)
