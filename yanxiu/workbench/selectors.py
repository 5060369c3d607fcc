"""What each role's workbench shows and which navigation a user gets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from yanxiu.org import permissions
from yanxiu.org.models import ADMIN_ROLES, EmploymentStatus, Role
from yanxiu.org.selectors import roles_of


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    key: str


# Workbenches not built yet say what will come, in the users' words (seeds 003 and 004).
COMING: dict[str, tuple[str, list[str]]] = {
    Role.LEARNER: ("学习中心", ["我的课程与学习进度", "选课（在选课时间内）", "学时达标情况与证书"]),
    Role.TUTOR: ("辅导教师工作台", ["待批改作业与截止时间", "学员求助与未回复问题", "推优与辅导任务书"]),
    Role.WORKSHOP_HOST: ("研修主持人工作台", ["工作坊成员与研修活动", "研修简报与推优"]),
    Role.ASSISTANT: ("研修助理工作台", ["校本研修计划、中期报告与成果总结", "本校学员研修情况"]),
    Role.SUPERVISOR: ("督学工作台", ["工作坊巡查", "中期与总结简报", "推荐优秀学员与成果"]),
    Role.COURSE_AUTHOR: ("课程制作", ["课程、章节与学习活动的编辑", "视频上传与转码进度"]),
    Role.COURSE_REVIEWER: ("课程审核", ["待审核课程", "审核意见与历史"]),
}


def workbench_title(role: str) -> str:
    if role in ADMIN_ROLES:
        return f"{Role(role).label}工作台"
    return COMING.get(role, (Role(role).label, []))[0]


def user_workbench_roles(user: Any) -> list[str]:
    """Distinct roles in display order (the first is where the user lands)."""
    seen: list[str] = []
    for assignment in roles_of(user):
        if assignment.role not in seen:
            seen.append(assignment.role)
    return seen


def navigation(user: Any) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = [NavItem("首页", reverse("workbench:home"), "home")]
    if permissions.is_admin(user):
        items += [
            NavItem("教师", reverse("org:teacher_list"), "teachers"),
            NavItem("学校", reverse("org:school_list"), "schools"),
            NavItem("导入名册", reverse("org:roster_upload"), "import"),
        ]
    return items


def admin_summary(user: Any) -> dict[str, int]:
    teachers = permissions.teachers_visible_to(user)
    return {
        "schools": permissions.schools_visible_to(user).count(),
        "teachers": teachers.count(),
        "active_teachers": teachers.filter(status=EmploymentStatus.ACTIVE).count(),
    }
