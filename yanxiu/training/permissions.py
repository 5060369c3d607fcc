"""Who manages which training projects, and everything under them.

A project belongs to its organiser (主办单位, a region: "谁主办、谁审核"). A province, city or district
administrator manages the projects organised by a region within their scope; a system administrator
manages all. School administrators run no projects. Outside the scope is "not found" (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from yanxiu.accounts.models import User
from yanxiu.core.errors import NotFound, PermissionDenied
from yanxiu.org.models import Region, Role, Teacher
from yanxiu.org.permissions import AdminScope, admin_scope
from yanxiu.training.models import Enrolment, Klass, Offering, Period, Project


def _organiser_q(scope: AdminScope, prefix: str = "") -> Q:
    """Projects (reached through `prefix`) whose organiser region lies within the region scope."""
    if scope.everything:
        return Q()
    q = Q(pk__in=[])
    for code_prefix in scope.region_prefixes:
        q |= Q(**{f"{prefix}organiser__code__startswith": code_prefix})
    return q


def can_manage_projects(user: Any) -> bool:
    scope = admin_scope(user)
    return scope.everything or bool(scope.region_prefixes)


def require_project_admin(user: Any) -> AdminScope:
    """For the project pages: region-level and system administrators only (403 for anyone else)."""
    if not can_manage_projects(user):
        raise PermissionDenied("只有区县及以上管理员可以管理培训项目。")
    return admin_scope(user)


def projects_visible_to(user: Any) -> QuerySet[Project]:
    scope = admin_scope(user)
    if not (scope.everything or scope.region_prefixes):
        return Project.objects.none()
    return Project.objects.filter(_organiser_q(scope))


def organisers_visible_to(user: Any) -> QuerySet[Region]:
    """Regions of any level an administrator may name as a project's organiser."""
    scope = admin_scope(user)
    if scope.everything:
        return Region.objects.all()
    q = Q(pk__in=[])
    for code_prefix in scope.region_prefixes:
        q |= Q(code__startswith=code_prefix)
    return Region.objects.filter(q)


def _get(queryset: QuerySet[Any], object_id: int | str) -> Any:
    try:
        return queryset.get(pk=int(object_id))
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def access_project(user: Any, project_id: int | str) -> Project:
    return _get(projects_visible_to(user).select_related("organiser"), project_id)


def periods_visible_to(user: Any) -> QuerySet[Period]:
    scope = admin_scope(user)
    if not (scope.everything or scope.region_prefixes):
        return Period.objects.none()
    return Period.objects.filter(_organiser_q(scope, "project__"))


def access_period(user: Any, period_id: int | str) -> Period:
    return _get(periods_visible_to(user).select_related("project__organiser"), period_id)


def offerings_visible_to(user: Any) -> QuerySet[Offering]:
    scope = admin_scope(user)
    if not (scope.everything or scope.region_prefixes):
        return Offering.objects.none()
    return Offering.objects.filter(_organiser_q(scope, "period__project__"))


def access_offering(user: Any, offering_id: int | str) -> Offering:
    return _get(offerings_visible_to(user).select_related("period__project", "course"), offering_id)


def access_klass(user: Any, klass_id: int | str) -> Klass:
    scope = admin_scope(user)
    if not (scope.everything or scope.region_prefixes):
        raise NotFound()
    queryset = Klass.objects.filter(_organiser_q(scope, "offering__period__project__"))
    return _get(queryset.select_related("offering__period__project", "offering__course"), klass_id)


def enrolments_visible_to(user: Any) -> QuerySet[Enrolment]:
    """Enrolments in the user's projects, of teachers within the user's scope.

    Both conditions: a province project may hold teachers a city administrator of it must not
    see, and a teacher of the scope may be enrolled in a project run by someone else.
    """
    scope = admin_scope(user)
    if not (scope.everything or scope.region_prefixes):
        return Enrolment.objects.none()
    return Enrolment.objects.filter(
        _organiser_q(scope, "offering__period__project__"), scope.school_q("teacher__school__")
    )


def access_enrolment(user: Any, enrolment_id: int | str) -> Enrolment:
    """An enrolment the user manages (see enrolments_visible_to); anything else is not found."""
    return _get(
        enrolments_visible_to(user).select_related(
            "offering__period__project", "offering__course", "teacher__user", "teacher__school__region", "klass"
        ),
        enrolment_id,
    )


def tutors_visible_to(user: Any) -> QuerySet[User]:
    """Users holding the tutor role within the administrator's scope (region, or school inside it)."""
    scope = admin_scope(user)
    if scope.everything:
        return User.objects.filter(role_assignments__role=Role.TUTOR, is_active=True).distinct()
    q = Q(pk__in=[])
    for code_prefix in scope.region_prefixes:
        q |= Q(role_assignments__region__code__startswith=code_prefix)
        q |= Q(role_assignments__school__region__code__startswith=code_prefix)
    if scope.school_ids:
        q |= Q(role_assignments__school_id__in=list(scope.school_ids))
    return User.objects.filter(q, role_assignments__role=Role.TUTOR, is_active=True).distinct()


# --- Learners ----------------------------------------------------------------------------------
def learner_of(user: Any) -> Teacher:
    """The teacher record behind the 选课 pages (403 for users who are not teachers)."""
    teacher = None
    if getattr(user, "is_authenticated", False):
        teacher = Teacher.objects.filter(user=user).select_related("school__region", "stage", "subject").first()
    if teacher is None:
        raise PermissionDenied("只有教师可以选课。")
    return teacher


def access_offering_to_choose(user: Any, offering_id: int | str) -> Offering:
    """Any offering by id; enrolment_choose decides whether this teacher may choose it."""
    learner_of(user)
    return _get(Offering.objects.select_related("period__project__organiser", "course"), offering_id)


def access_own_enrolment(user: Any, enrolment_id: int | str) -> Enrolment:
    """One of the user's own enrolments; anyone else's is not found."""
    teacher = learner_of(user)
    return _get(
        Enrolment.objects.filter(teacher=teacher).select_related("offering__period__project", "offering__course"),
        enrolment_id,
    )
