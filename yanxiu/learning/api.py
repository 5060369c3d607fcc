"""JSON API of the learning app: learning events as xAPI statements, for system administrators.

Shaped like an xAPI LRS's GET /statements: {"statements": [...], "more": URL or null}, with the
next page reached by keyset on the statement id (oldest first), so paging stays cheap at any depth.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from yanxiu.core.errors import PermissionDenied, ValidationFailed
from yanxiu.learning import statements
from yanxiu.org.permissions import admin_scope

router = Router(tags=["学习"])


class StatementQuery(Schema):
    since: dt.datetime | None = Field(None, description="只返回此时刻（含）之后存储的语句；无时区时按平台时区")
    until: dt.datetime | None = Field(None, description="只返回此时刻之前存储的语句")
    verb: str = Field("", description="动词：简称（如 played）或 xAPI IRI")
    actor: int | None = Field(None, description="学员的用户 id")
    after: int | None = Field(None, description="翻页游标：上一页最后一条语句的 id（见 more）")
    limit: int = Field(100, ge=1, le=500)


class StatementsOut(Schema):
    statements: list[dict[str, Any]]
    more: str | None


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value)


@router.get("/statements", response=StatementsOut, summary="学习事件（xAPI 1.0.3 语句），仅系统管理员")
def statement_list(request: HttpRequest, response: HttpResponse, filters: Query[StatementQuery]) -> dict[str, Any]:
    # Statements span every region: only the platform-wide scope may read them.
    if not admin_scope(request.user).everything:
        raise PermissionDenied("只有系统管理员可以读取学习事件。")
    verb = statements.verb_from_param(filters.verb) if filters.verb else None
    if filters.verb and verb is None:
        raise ValidationFailed(f"未知的动词：{filters.verb}", code="unknown_verb")
    rows = list(
        statements.statements_filter(
            since=_aware(filters.since),
            until=_aware(filters.until),
            actor_id=filters.actor,
            verb=verb,
            after_id=filters.after,
        )[: filters.limit + 1]
    )
    more = None
    if len(rows) > filters.limit:
        rows = rows[: filters.limit]
        params = {k: v for k, v in request.GET.items() if k != "after"}
        more = f"{request.path}?{urlencode({**params, 'after': rows[-1].id})}"
    response["X-Experience-API-Version"] = statements.XAPI_VERSION
    return {"statements": [statements.statement_to_xapi(s) for s in rows], "more": more}
