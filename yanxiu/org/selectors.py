"""Reads about organisations and people used by pages, the API and exports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from yanxiu.core.masking import mask_id_number, mask_mobile
from yanxiu.org import permissions
from yanxiu.org.models import EMPLOYMENT_STATUS_ZH, EmploymentStatus, Role, RoleAssignment, School, Teacher

EXPORT_HEADERS = ("教师编号", "姓名", "手机号", "身份证号", "区域", "学校", "学段", "学科", "在职状态")


@dataclass(frozen=True)
class TeacherFilter:
    q: str = ""
    school_id: int | None = None
    region_code: str = ""
    subject_id: int | None = None
    status: str = ""

    @classmethod
    def from_params(cls, params: Any) -> TeacherFilter:
        def as_int(name: str) -> int | None:
            value = (params.get(name) or "").strip()
            return int(value) if value.isdigit() else None

        status = (params.get("status") or "").strip()
        return cls(
            q=(params.get("q") or "").strip()[:64],
            school_id=as_int("school"),
            region_code=(params.get("region") or "").strip()[:6],
            subject_id=as_int("subject"),
            status=status if status in EmploymentStatus.values else "",
        )


def teacher_search(user: Any, filters: TeacherFilter) -> QuerySet[Teacher]:
    """Teachers in the user's scope matching the filters, ordered by 教师编号."""
    qs = permissions.teachers_visible_to(user)
    if filters.q:
        q = filters.q
        # Searching by mobile is only for viewers who may see mobiles: to anyone else an exact
        # match would reveal the digits the list masks.
        personal = permissions.admin_scope(user)
        by_mobile = Q(user__mobile=q) & personal.personal_q("school__") if personal.has_personal_right else Q(pk__in=[])
        qs = qs.filter(
            Q(teacher_no__startswith=q) | Q(user__real_name__contains=q) | by_mobile | Q(school__name__contains=q)
        )
    if filters.school_id:
        qs = qs.filter(school_id=filters.school_id)
    if filters.region_code:
        qs = qs.filter(school__region_id=filters.region_code)
    if filters.subject_id:
        qs = qs.filter(subject_id=filters.subject_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("teacher_no")


def teacher_rows_for_display(user: Any, teachers: list[Teacher]) -> list[dict[str, Any]]:
    """Rows for a list page, with personal data masked unless the viewer holds the right."""
    rows = []
    for teacher in teachers:
        unmasked = permissions.can_see_personal_data(user, teacher)
        mobile = teacher.user.mobile or ""
        rows.append(
            {
                "teacher": teacher,
                "mobile": mobile if unmasked else mask_mobile(mobile),
                "id_number": (teacher.id_number or "") if unmasked else mask_id_number(teacher.id_number),
            }
        )
    return rows


def teacher_export_rows(user: Any, filters: TeacherFilter) -> Iterator[list[Any]]:
    """Rows for the roster export, streamed in chunks; masked unless the viewer holds the right."""
    scope = permissions.admin_scope(user)
    values = teacher_search(user, filters).values_list(
        "teacher_no",
        "user__real_name",
        "user__mobile",
        "id_number",
        "school__region__name",
        "school__name",
        "stage__name",
        "subject__name",
        "status",
        "school_id",
        "school__region_id",
    )
    for no, name, mobile, id_number, region, school, stage, subject, status, school_id, region_id in values.iterator(
        chunk_size=2000
    ):
        unmasked = (
            scope.personal_everything
            or school_id in scope.personal_school_ids
            or any(region_id.startswith(p) for p in scope.personal_prefixes)
        )
        yield [
            no,
            name,
            mobile if unmasked else mask_mobile(mobile),
            id_number if unmasked else mask_id_number(id_number),
            region,
            school,
            stage or "",
            subject or "",
            EMPLOYMENT_STATUS_ZH.get(status, status),
        ]


def school_search(user: Any, q: str = "", region_code: str = "") -> QuerySet[School]:
    qs = permissions.schools_visible_to(user).select_related("region")
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q))
    if region_code:
        qs = qs.filter(region_id=region_code)
    return qs.annotate(teacher_count=Count("teachers")).order_by("region_id", "name")


def roles_of(user: Any) -> list[RoleAssignment]:
    """The user's role assignments, platform roles first. A Teacher record makes a learner."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_yanxiu_roles", None)
    if cached is not None:
        return cached
    rows = list(permissions.role_assignments_of(user))
    is_teacher = getattr(user, "yanxiu_is_teacher", None)  # loaded with the user (accounts backend)
    if is_teacher is None:
        is_teacher = Teacher.objects.filter(user=user).exists()
    if not any(r.role == Role.LEARNER for r in rows) and is_teacher:
        rows.append(RoleAssignment(user=user, role=Role.LEARNER))
    if user.is_superuser and not any(r.role == Role.SYSTEM_ADMIN for r in rows):
        rows.append(RoleAssignment(user=user, role=Role.SYSTEM_ADMIN))
    order = list(Role.values)
    rows.sort(key=lambda r: -order.index(r.role))
    user._yanxiu_roles = rows
    return rows
