from django.http import HttpRequest
from ninja import Router, Schema

from yanxiu.accounts import actions
from yanxiu.org.selectors import roles_of

router = Router(tags=["账号"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = "mobile"


class TokenOut(Schema):
    token: str
    expires_at: str


class RoleOut(Schema):
    role: str
    role_label: str
    region: str | None = None
    school_id: int | None = None


class MeOut(Schema):
    username: str
    real_name: str
    must_change_password: bool
    roles: list[RoleOut]


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


@router.get("/me", response=MeOut, summary="当前用户与角色")
def me(request: HttpRequest) -> dict:
    user = request.user
    return {
        "username": user.username,  # type: ignore[union-attr]
        "real_name": user.real_name,  # type: ignore[union-attr]
        "must_change_password": user.must_change_password,  # type: ignore[union-attr]
        "roles": [
            {"role": a.role, "role_label": a.get_role_display(), "region": a.region_id, "school_id": a.school_id}
            for a in roles_of(user)
        ],
    }
