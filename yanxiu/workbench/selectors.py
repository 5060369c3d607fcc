"""What each role's workbench shows and which navigation a user gets."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yanxiu.catalog import permissions as catalog_permissions
from yanxiu.org import permissions
from yanxiu.org.models import EmploymentStatus, Role
from yanxiu.org.selectors import roles_of
from yanxiu.training import permissions as training_permissions


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy translation
    url: str
    key: str


# Workbenches not built yet say what will come, in the users' words (seeds 003 and 004).
COMING: dict[str, tuple[Any, list[Any]]] = {
    Role.TUTOR: (_("辅导教师工作台"), [_("待批改作业与截止时间"), _("学员求助与未回复问题"), _("推优与辅导任务书")]),
    Role.WORKSHOP_HOST: (_("研修主持人工作台"), [_("工作坊成员与研修活动"), _("研修简报与推优")]),
    Role.ASSISTANT: (_("研修助理工作台"), [_("校本研修计划、中期报告与成果总结"), _("本校学员研修情况")]),
    Role.SUPERVISOR: (_("督学工作台"), [_("工作坊巡查"), _("中期与总结简报"), _("推荐优秀学员与成果")]),
    Role.COURSE_AUTHOR: (_("课程制作"), [_("课程、章节与学习活动的编辑"), _("视频上传与转码进度")]),
    Role.COURSE_REVIEWER: (_("课程审核"), [_("待审核课程"), _("审核意见与历史")]),
}
ADMIN_TITLES: dict[str, Any] = {
    Role.SCHOOL_ADMIN: _("学校管理员工作台"),
    Role.DISTRICT_ADMIN: _("区县管理员工作台"),
    Role.CITY_ADMIN: _("市级管理员工作台"),
    Role.PROVINCE_ADMIN: _("省级管理员工作台"),
    Role.SYSTEM_ADMIN: _("系统管理员工作台"),
}


def workbench_title(role: str) -> Any:
    if role in ADMIN_TITLES:
        return ADMIN_TITLES[role]
    return COMING.get(role, (Role(role).label, []))[0]


def user_workbench_roles(user: Any) -> list[str]:
    """Distinct roles in display order (the first is where the user lands)."""
    seen: list[str] = []
    for assignment in roles_of(user):
        if assignment.role not in seen:
            seen.append(assignment.role)
    return seen


NAV_LABELS: dict[str, Any] = {
    "home": _("首页"),
    "teachers": _("教师"),
    "schools": _("学校"),
    "import": _("导入名册"),
    "catalog": _("课程制作"),
    "training": _("培训项目"),
    "learning": _("学习中心"),
    "choose": _("选课"),
}
NAV_URLS = {
    "home": "workbench:home",
    "teachers": "org:teacher_list",
    "schools": "org:school_list",
    "import": "org:roster_upload",
    "catalog": "catalog:course_list",
    "training": "training:project_list",
    "learning": "learning:center",
    "choose": "training:choose",
}
# Which items a user gets, per process, for NAVIGATION_CACHE_SECONDS: every page shows the menu,
# and working it out costs a query and more than the rest of a light page. A role granted or
# removed shows in the menu within that time; what a user may do is always checked afresh.
_NAV_KEYS: dict[int, tuple[float, tuple[str, ...]]] = {}
_NAV_KEYS_MAX = 20_000


def _nav_keys(user: Any) -> tuple[str, ...]:
    keys = ["home"]
    if permissions.is_admin(user):
        keys += ["teachers", "schools", "import"]
    if catalog_permissions.can_author(user):
        keys.append("catalog")
    if training_permissions.can_manage_projects(user):
        keys.append("training")
    if any(r.role == Role.LEARNER for r in roles_of(user)):
        keys += ["learning", "choose"]
    return tuple(keys)


def navigation(user: Any) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    ttl = settings.NAVIGATION_CACHE_SECONDS
    now = time.monotonic()
    cached = _NAV_KEYS.get(user.pk)
    if cached is not None and now - cached[0] < ttl:
        keys = cached[1]
    else:
        keys = _nav_keys(user)
        if ttl > 0:
            if len(_NAV_KEYS) >= _NAV_KEYS_MAX:
                _NAV_KEYS.clear()
            _NAV_KEYS[user.pk] = (now, keys)
    return [NavItem(NAV_LABELS[key], reverse(NAV_URLS[key]), key) for key in keys]


def admin_summary(user: Any) -> dict[str, int]:
    teachers = permissions.teachers_visible_to(user)
    return {
        "schools": permissions.schools_visible_to(user).count(),
        "teachers": teachers.count(),
        "active_teachers": teachers.filter(status=EmploymentStatus.ACTIVE).count(),
    }
