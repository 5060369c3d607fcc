"""JSON API of the org app: the same scope rules as the pages (org.permissions)."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from yanxiu.org import permissions, selectors

router = Router(tags=["组织与人员"])
me_router = Router(tags=["账号"])


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


@me_router.get("/me", response=MeOut, summary="当前用户与角色")
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "username": user.get_username(),
        "real_name": getattr(user, "real_name", ""),
        "must_change_password": getattr(user, "must_change_password", False),
        "roles": [
            {"role": a.role, "role_label": a.get_role_display(), "region": a.region_id, "school_id": a.school_id}
            for a in selectors.roles_of(user)
        ],
    }


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_id: str | None


class SchoolOut(Schema):
    id: int
    code: str | None
    name: str
    region_id: str
    region_name: str
    ownership: str
    is_active: bool


class TeacherOut(Schema):
    id: int
    teacher_no: str
    real_name: str
    mobile: str
    id_number: str
    school_id: int
    school_name: str
    region_id: str
    stage: str | None
    subject: str | None
    status: str


class TeacherQuery(Schema):
    q: str = ""
    school: str = ""
    region: str = ""
    subject: str = ""
    status: str = ""


def _school_out(school: Any) -> dict[str, Any]:
    return {
        "id": school.pk,
        "code": school.code,
        "name": school.name,
        "region_id": school.region_id,
        "region_name": school.region.name,
        "ownership": school.ownership,
        "is_active": school.is_active,
    }


def _teacher_out(row: dict[str, Any]) -> dict[str, Any]:
    teacher = row["teacher"]
    return {
        "id": teacher.pk,
        "teacher_no": teacher.teacher_no,
        "real_name": teacher.user.real_name,
        "mobile": row["mobile"],
        "id_number": row["id_number"],
        "school_id": teacher.school_id,
        "school_name": teacher.school.name,
        "region_id": teacher.school.region_id,
        "stage": teacher.stage.name if teacher.stage else None,
        "subject": teacher.subject.name if teacher.subject else None,
        "status": teacher.status,
    }


@router.get("/regions", response=list[RegionOut], summary="管辖范围内可设学校的区域（区县及局属学校所在的市）")
def region_list(request: HttpRequest) -> Any:
    permissions.require_admin(request.user)
    return permissions.regions_visible_to(request.user)


@router.get("/schools", response=list[SchoolOut], summary="管辖范围内的学校")
@paginate(PageNumberPagination, page_size=50)
def school_list(request: HttpRequest, q: str = "", region: str = "") -> Any:
    permissions.require_admin(request.user)
    return _PageRows(
        selectors.school_search(request.user, q=q[:64], region_code=region[:6]),
        lambda schools: [_school_out(s) for s in schools],
    )


@router.get("/schools/{school_id}", response=SchoolOut, summary="一所学校")
def school_detail(request: HttpRequest, school_id: int) -> Any:
    return _school_out(permissions.access_school(request.user, school_id))


@router.get("/teachers", response=list[TeacherOut], summary="管辖范围内的教师（个人信息按权限脱敏）")
@paginate(PageNumberPagination, page_size=50)
def teacher_list(request: HttpRequest, filters: Query[TeacherQuery]) -> Any:
    permissions.require_admin(request.user)
    qs = selectors.teacher_search(request.user, selectors.TeacherFilter.from_params(filters.dict()))
    return _PageRows(
        qs.select_related("user", "school__region", "stage", "subject"),
        lambda teachers: [_teacher_out(r) for r in selectors.teacher_rows_for_display(request.user, teachers)],
    )


@router.get("/teachers/{teacher_id}", response=TeacherOut, summary="一位教师（个人信息按权限脱敏）")
def teacher_detail(request: HttpRequest, teacher_id: int) -> Any:
    teacher = permissions.access_teacher(request.user, teacher_id)
    return _teacher_out(selectors.teacher_rows_for_display(request.user, [teacher])[0])


class _PageRows:
    """Lets the paginator count and slice the queryset first, then shapes only the page's rows
    (masking personal data needs the viewer, so it cannot be a plain queryset)."""

    def __init__(self, queryset: Any, shape: Callable[[list[Any]], list[dict[str, Any]]]):
        self.queryset, self.shape = queryset, shape

    def __len__(self) -> int:
        return self.queryset.count()

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return self.shape(list(self.queryset[item]))
