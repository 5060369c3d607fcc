"""Scope: who may see and change which schools and teachers. Every app asks here.

An administrator's scope is the union of their admin role assignments: a region (the division and
everything under it, by GB/T 2260 code prefix), a school, or the whole platform (system admin).
Objects outside the scope are reported as not found, so their existence is not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from yanxiu.core.errors import NotFound, PermissionDenied
from yanxiu.org.models import (
    ADMIN_ROLES,
    Region,
    RegionLevel,
    Role,
    RoleAssignment,
    RosterImport,
    School,
    Teacher,
)


@dataclass(frozen=True)
class AdminScope:
    everything: bool = False
    region_prefixes: tuple[str, ...] = ()
    school_ids: tuple[int, ...] = ()
    # The part of the scope where the user may see unmasked personal data.
    personal_everything: bool = False
    personal_prefixes: tuple[str, ...] = ()
    personal_school_ids: tuple[int, ...] = ()

    @property
    def has_personal_right(self) -> bool:
        return self.personal_everything or bool(self.personal_prefixes or self.personal_school_ids)

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.region_prefixes or self.school_ids)

    def school_q(self, prefix: str = "") -> Q:
        """A Q over School (prefix "") or over a model reaching School through `prefix`."""
        return _scope_q(self.everything, self.region_prefixes, self.school_ids, prefix)

    def personal_q(self, prefix: str = "") -> Q:
        return _scope_q(self.personal_everything, self.personal_prefixes, self.personal_school_ids, prefix)


def _scope_q(everything: bool, prefixes: tuple[str, ...], school_ids: tuple[int, ...], prefix: str) -> Q:
    if everything:
        return Q()
    q = Q(pk__in=[])
    for code_prefix in prefixes:
        # A district's code is whole: compare for equality so that the index is used.
        lookup = "region_id" if len(code_prefix) == 6 else "region__code__startswith"
        q |= Q(**{f"{prefix}{lookup}": code_prefix})
    if school_ids:
        q |= Q(**{f"{prefix}id__in": list(school_ids)})
    return q


def role_assignments_of(user: Any) -> list[RoleAssignment]:
    """The user's role assignments with their region and school, read once per request."""
    cached = getattr(user, "_yanxiu_assignments", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).select_related("region", "school"))
        user._yanxiu_assignments = cached
    return cached


def admin_scope(user: Any) -> AdminScope:
    """The user's administrative scope, computed once per request and kept on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return AdminScope()
    cached = getattr(user, "_yanxiu_admin_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = AdminScope(everything=True, personal_everything=True)
    else:
        everything = personal_everything = False
        prefixes: list[str] = []
        school_ids: list[int] = []
        personal_prefixes: list[str] = []
        personal_school_ids: list[int] = []
        rows = [row for row in role_assignments_of(user) if row.role in ADMIN_ROLES]
        for row in rows:
            if row.role == Role.SYSTEM_ADMIN:
                everything = True
                personal_everything = personal_everything or row.sees_personal_data
            elif row.school_id is not None:
                school_ids.append(row.school_id)
                if row.sees_personal_data:
                    personal_school_ids.append(row.school_id)
            elif row.region is not None:
                prefixes.append(row.region.scope_prefix)
                if row.sees_personal_data:
                    personal_prefixes.append(row.region.scope_prefix)
        scope = AdminScope(
            everything=everything,
            region_prefixes=tuple(sorted(set(prefixes))),
            school_ids=tuple(sorted(set(school_ids))),
            personal_everything=personal_everything,
            personal_prefixes=tuple(sorted(set(personal_prefixes))),
            personal_school_ids=tuple(sorted(set(personal_school_ids))),
        )
    user._yanxiu_admin_scope = scope
    return scope


def is_admin(user: Any) -> bool:
    return not admin_scope(user).is_empty


def require_admin(user: Any) -> AdminScope:
    """For pages only administrators reach: anyone else is told they lack the right (403)."""
    scope = admin_scope(user)
    if scope.is_empty:
        raise PermissionDenied("只有管理员可以访问此页面。")
    return scope


# --- Schools -----------------------------------------------------------------------------------
def schools_visible_to(user: Any) -> QuerySet[School]:
    scope = admin_scope(user)
    if scope.is_empty:
        return School.objects.none()
    return School.objects.filter(scope.school_q())


def access_school(user: Any, school_id: int | str) -> School:
    try:
        return schools_visible_to(user).select_related("region").get(pk=int(school_id))
    except (School.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def can_manage_schools(user: Any) -> bool:
    """Creating and editing schools is for region-level administrators (and system admins)."""
    scope = admin_scope(user)
    return scope.everything or bool(scope.region_prefixes)


# --- Regions -----------------------------------------------------------------------------------
def regions_visible_to(user: Any) -> QuerySet[Region]:
    """Districts and cities (for 局属学校) inside the user's region scope: where schools may be."""
    scope = admin_scope(user)
    levels = [RegionLevel.DISTRICT, RegionLevel.CITY]
    if scope.everything:
        return Region.objects.filter(level__in=levels)
    q = Q(pk__in=[])
    for code_prefix in scope.region_prefixes:
        q |= Q(code__startswith=code_prefix)
    return Region.objects.filter(q, level__in=levels)


def access_region(user: Any, code: str) -> Region:
    try:
        return regions_visible_to(user).get(pk=code)
    except Region.DoesNotExist:
        raise NotFound("找不到该区域，或不在您的管辖范围内。") from None


# --- Teachers ----------------------------------------------------------------------------------
def teachers_visible_to(user: Any) -> QuerySet[Teacher]:
    scope = admin_scope(user)
    if scope.is_empty:
        return Teacher.objects.none()
    return Teacher.objects.filter(scope.school_q("school__"))


def access_teacher(user: Any, teacher_id: int | str) -> Teacher:
    try:
        return (
            teachers_visible_to(user)
            .select_related("user", "school__region", "stage", "subject")
            .get(pk=int(teacher_id))
        )
    except (Teacher.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def can_see_personal_data(user: Any, teacher: Teacher) -> bool:
    """Unmasked mobile and ID number: only with the explicit right, within its scope."""
    scope = admin_scope(user)
    if scope.personal_everything:
        return True
    if teacher.school_id in scope.personal_school_ids:
        return True
    region_id = teacher.school.region_id
    return any(region_id.startswith(p) for p in scope.personal_prefixes)


def access_roster_import(user: Any, job_id: int | str) -> RosterImport:
    """An import is seen only by the administrator who uploaded it (and system admins)."""
    require_admin(user)
    qs = RosterImport.objects.all()
    if not admin_scope(user).everything:
        qs = qs.filter(created_by=user)
    try:
        return qs.get(pk=int(job_id))
    except (RosterImport.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
