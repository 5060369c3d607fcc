"""The role-aware home: each role lands on its own workbench."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from yanxiu.core.errors import NotFound
from yanxiu.org.models import ADMIN_ROLES, Role
from yanxiu.org.selectors import roles_of
from yanxiu.workbench import selectors


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    roles = selectors.user_workbench_roles(request.user)
    if not roles:
        return render(request, "workbench/no_role.html")
    return redirect("workbench:workbench", role=roles[0])


@login_required
@require_GET
def workbench(request: HttpRequest, role: str) -> HttpResponse:
    roles = selectors.user_workbench_roles(request.user)
    if role not in roles:
        raise NotFound("您没有这个角色的工作台。")
    if role == Role.LEARNER:
        return redirect("learning:center")  # a learner's workbench is 学习中心
    context: dict[str, Any] = {
        "role": role,
        "role_label": Role(role).label,
        "title": selectors.workbench_title(role),
        "roles": [(r, selectors.workbench_title(r)) for r in roles],
        "assignments": [a for a in roles_of(request.user) if a.role == role],
    }
    if role in ADMIN_ROLES:
        context["summary"] = selectors.admin_summary(request.user)
        return render(request, "workbench/admin.html", context)
    context["coming"] = selectors.COMING.get(role, (context["title"], []))[1]
    return render(request, "workbench/coming.html", context)
