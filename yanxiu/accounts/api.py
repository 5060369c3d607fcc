from django.http import HttpRequest
from ninja import Router, Schema

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


@router.delete("/auth/token", response={204: None}, summary="注销当前令牌")
def token_revoke(request: HttpRequest) -> tuple[int, None]:
    token = getattr(request, "api_token", None)
    if token is not None:
        actions.api_token_revoke(token=token, request=request)
    return 204, None
