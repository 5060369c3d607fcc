"""Reads about training used by pages, actions and exports. Everything starts from a scoped queryset."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from yanxiu.catalog.models import Course, CourseCategory, CourseStatus
from yanxiu.org import permissions as org_permissions
from yanxiu.org.models import EmploymentStatus, RegionLevel, Teacher
from yanxiu.training import permissions
from yanxiu.training.models import (
    Enrolment,
    EnrolmentSource,
    EnrolmentStatus,
    Klass,
    Offering,
    Period,
    Project,
)

# Files speak Chinese whatever the interface language is.
SOURCE_ZH = {"chosen": "自主选课", "assigned": "指定", "recommended": "推荐", "retake": "重修"}
STATUS_ZH = {"selected": "已选课", "learning": "学习中", "passed": "通过", "failed": "未通过"}
ENROLMENT_EXPORT_HEADERS = ("教师编号", "姓名", "学校", "区县", "学科", "班级", "来源", "状态", "进度", "获得学时")
RETAKE_EXPORT_HEADERS = (
    "重修期数",
    "原期次",
    "课程编号",
    "课程名称",
    "教师编号",
    "姓名",
    "学校",
    "区县",
    "学习开始日期",
    "学习结束日期",
    "状态",
    "通过情况",
)


def _as_int(params: Any, name: str) -> int | None:
    value = (params.get(name) or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _choice(params: Any, name: str, allowed: list[str]) -> str:
    value = (params.get(name) or "").strip()
    return value if value in allowed else ""


def region_label(region_name: str, level: str) -> str:
    """A school's district name, or "<city>局属学校" for schools under the city bureau."""
    return f"{region_name}局属学校" if level == RegionLevel.CITY else region_name


# --- Who a project is for, what suits a teacher ------------------------------------------------
def project_covers(project: Project, teacher: Teacher) -> bool:
    """A project is for the teachers of its organiser's region (and everything under it)."""
    return teacher.school.region_id.startswith(project.organiser.scope_prefix)


def _suits_q(teacher: Teacher, prefix: str = "") -> Q:
    stage = Q(**{f"{prefix}all_stages": True})
    if teacher.stage_id is not None:
        stage |= Q(**{f"{prefix}stages": teacher.stage_id})
    subject = Q(**{f"{prefix}all_subjects": True})
    if teacher.subject_id is not None:
        subject |= Q(**{f"{prefix}subjects": teacher.subject_id})
    return stage & subject


def course_suits(course: Course, teacher: Teacher) -> bool:
    return Course.objects.filter(_suits_q(teacher), pk=course.pk).exists()


# --- Offerings ---------------------------------------------------------------------------------
def courses_to_offer(period: Period, q: str = "", category: str = "") -> QuerySet[Course]:
    """Published courses not yet offered in the period, by code, title or category."""
    qs = Course.objects.filter(status=CourseStatus.PUBLISHED).exclude(offerings__period=period)
    if q:
        qs = qs.filter(Q(code__startswith=q) | Q(title__contains=q))
    if category in CourseCategory.values:
        qs = qs.filter(category=category)
    return qs.order_by("code")


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """How many rows of `queryset` (filtered on OuterRef("pk")) each outer row has."""
    counted = queryset.order_by().values("offering_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def period_offerings(period: Period) -> QuerySet[Offering]:
    """The period's offerings with their enrolment, pass and class counts.

    Each count is its own subquery: counting enrolments and classes in one grouped join would
    scan enrolments × classes rows for every offering.
    """
    enrolments = Enrolment.objects.filter(offering_id=OuterRef("pk"))
    return (
        Offering.objects.filter(period=period)
        .select_related("course")
        .annotate(
            enrolment_count=_count(enrolments),
            passed_count=_count(enrolments.filter(status=EnrolmentStatus.PASSED)),
            klass_count=_count(Klass.objects.filter(offering_id=OuterRef("pk"))),
        )
        .order_by("course__category", "course__code")
    )


# --- Enrolment lists ---------------------------------------------------------------------------
@dataclass(frozen=True)
class EnrolmentFilter:
    region_code: str = ""
    school_id: int | None = None
    klass_id: int | None = None
    status: str = ""
    source: str = ""

    @classmethod
    def from_params(cls, params: Any) -> EnrolmentFilter:
        return cls(
            region_code=(params.get("region") or "").strip()[:6],
            school_id=_as_int(params, "school"),
            klass_id=_as_int(params, "klass"),
            status=_choice(params, "status", list(EnrolmentStatus.values)),
            source=_choice(params, "source", list(EnrolmentSource.values)),
        )


def enrolment_search(user: Any, offering: Offering, filters: EnrolmentFilter) -> QuerySet[Enrolment]:
    """The offering's enrolments of teachers within the user's scope, ordered by 教师编号."""
    qs = permissions.enrolments_visible_to(user).filter(offering=offering)
    if filters.region_code:
        qs = qs.filter(teacher__school__region_id=filters.region_code)
    if filters.school_id:
        qs = qs.filter(teacher__school_id=filters.school_id)
    if filters.klass_id:
        qs = qs.filter(klass_id=filters.klass_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.source:
        qs = qs.filter(source=filters.source)
    return qs.order_by("teacher__teacher_no")


def enrolment_export_rows(user: Any, offering: Offering, filters: EnrolmentFilter) -> Iterator[list[Any]]:
    """Only columns that are not personal data: nothing here needs masking."""
    values = enrolment_search(user, offering, filters).values_list(
        "teacher__teacher_no",
        "teacher__user__real_name",
        "teacher__school__name",
        "teacher__school__region__name",
        "teacher__school__region__level",
        "teacher__subject__name",
        "klass__name",
        "source",
        "status",
        "progress",
        "hours_earned",
    )
    for no, name, school, region, level, subject, klass, source, status, progress, hours in values.iterator(
        chunk_size=2000
    ):
        yield [
            no,
            name,
            school,
            region_label(region, level),
            subject or "",
            klass or "",
            SOURCE_ZH.get(source, source),
            STATUS_ZH.get(status, status),
            f"{progress}%",
            hours if hours is not None else "",
        ]


# --- Enrolment by rule -------------------------------------------------------------------------
@dataclass(frozen=True)
class EnrolmentRule:
    """Which teachers to enrol: always active ones within the administrator's scope."""

    region_code: str = ""
    school_id: int | None = None
    stage_id: int | None = None
    subject_id: int | None = None

    @classmethod
    def from_params(cls, params: Any) -> EnrolmentRule:
        return cls(
            region_code=(params.get("region") or "").strip()[:6],
            school_id=_as_int(params, "school"),
            stage_id=_as_int(params, "stage"),
            subject_id=_as_int(params, "subject"),
        )

    def as_params(self) -> dict[str, str]:
        values = {"region": self.region_code, "school": self.school_id, "stage": self.stage_id}
        values["subject"] = self.subject_id
        return {k: str(v) for k, v in values.items() if v}


def rule_teachers(user: Any, rule: EnrolmentRule) -> QuerySet[Teacher]:
    """Active teachers in the user's scope matching the rule. Filters can only narrow the scope."""
    qs = org_permissions.teachers_visible_to(user).filter(status=EmploymentStatus.ACTIVE)
    if rule.region_code:
        qs = qs.filter(school__region_id=rule.region_code)
    if rule.school_id:
        qs = qs.filter(school_id=rule.school_id)
    if rule.stage_id:
        qs = qs.filter(stage_id=rule.stage_id)
    if rule.subject_id:
        qs = qs.filter(subject_id=rule.subject_id)
    return qs


@dataclass
class AssignmentPlan:
    matched: int = 0
    already: int = 0
    over_cap: int = 0
    new_teacher_ids: list[int] = field(default_factory=list)


def assignment_plan(user: Any, offering: Offering, rule: EnrolmentRule) -> AssignmentPlan:
    """Who an enrolment by rule would enrol: matching teachers not enrolled yet whose hours in the
    period stay within the project's cap once this course is added."""
    teachers = rule_teachers(user, rule)
    plan = AssignmentPlan()
    ids = list(teachers.order_by("teacher_no").values_list("pk", flat=True))
    plan.matched = len(ids)
    enrolled = set(
        Enrolment.objects.filter(offering=offering, teacher__in=teachers).values_list("teacher_id", flat=True)
    )
    hours = dict(
        Enrolment.objects.filter(offering__period_id=offering.period_id, teacher__in=teachers)
        .values("teacher_id")
        .annotate(hours=Sum("offering__course__credit_hours"))
        .values_list("teacher_id", "hours")
    )
    cap = offering.period.project.hours_cap_per_period
    course_hours = offering.course.credit_hours
    for teacher_id in ids:
        if teacher_id in enrolled:
            plan.already += 1
        elif (hours.get(teacher_id) or Decimal(0)) + course_hours > cap:
            plan.over_cap += 1
        else:
            plan.new_teacher_ids.append(teacher_id)
    return plan


# --- Retakes -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetakeFilter:
    region_code: str = ""
    school_id: int | None = None
    course_id: int | None = None
    subject_id: int | None = None
    status: str = ""

    @classmethod
    def from_params(cls, params: Any) -> RetakeFilter:
        return cls(
            region_code=(params.get("region") or "").strip()[:6],
            school_id=_as_int(params, "school"),
            course_id=_as_int(params, "course"),
            subject_id=_as_int(params, "subject"),
            status=_choice(params, "status", list(EnrolmentStatus.values)),
        )

    def as_params(self) -> dict[str, str]:
        values = {"region": self.region_code, "school": self.school_id, "course": self.course_id}
        values |= {"subject": self.subject_id, "status": self.status}
        return {k: str(v) for k, v in values.items() if v}


def _retake_filtered(qs: QuerySet[Enrolment], filters: RetakeFilter) -> QuerySet[Enrolment]:
    if filters.region_code:
        qs = qs.filter(teacher__school__region_id=filters.region_code)
    if filters.school_id:
        qs = qs.filter(teacher__school_id=filters.school_id)
    if filters.course_id:
        qs = qs.filter(offering__course_id=filters.course_id)
    if filters.subject_id:
        qs = qs.filter(teacher__subject_id=filters.subject_id)
    return qs


def retake_candidates(user: Any, period: Period, filters: RetakeFilter | None = None) -> QuerySet[Enrolment]:
    """Failed enrolments of earlier periods of the same project, within the user's scope, whose
    teacher has neither passed the course since nor had a retake of it opened in this period.

    `enrolled_now` marks teachers who are already in this period's offering of the course
    (chosen or assigned): opening a retake for them is reported, not duplicated.
    """
    same_course_in_project = Enrolment.objects.filter(
        teacher_id=OuterRef("teacher_id"),
        offering__course_id=OuterRef("offering__course_id"),
        offering__period__project_id=period.project_id,
    )
    in_this_period = Enrolment.objects.filter(
        teacher_id=OuterRef("teacher_id"),
        offering__course_id=OuterRef("offering__course_id"),
        offering__period_id=period.pk,
    )
    qs = (
        permissions.enrolments_visible_to(user)
        .filter(
            offering__period__project_id=period.project_id,
            offering__period__starts_on__lt=period.starts_on,
            status=EnrolmentStatus.FAILED,
        )
        .exclude(Exists(same_course_in_project.filter(status=EnrolmentStatus.PASSED)))
        .exclude(Exists(in_this_period.filter(source=EnrolmentSource.RETAKE)))
        .annotate(enrolled_now=Exists(in_this_period))
    )
    return _retake_filtered(qs, filters or RetakeFilter()).order_by(
        "teacher__teacher_no", "offering__course__code", "-offering__period__starts_on"
    )


def retake_search(user: Any, period: Period, filters: RetakeFilter) -> QuerySet[Enrolment]:
    """The retakes opened in the period, within the user's scope."""
    qs = permissions.enrolments_visible_to(user).filter(offering__period=period, source=EnrolmentSource.RETAKE)
    qs = _retake_filtered(qs, filters)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("teacher__teacher_no", "offering__course__code")


def retake_export_rows(user: Any, period: Period, filters: RetakeFilter) -> Iterator[list[Any]]:
    values = retake_search(user, period, filters).values_list(
        "retake_of__offering__period__code",
        "offering__course__code",
        "offering__course__title",
        "teacher__teacher_no",
        "teacher__user__real_name",
        "teacher__school__name",
        "teacher__school__region__name",
        "teacher__school__region__level",
        "opens_on",
        "closes_on",
        "status",
    )
    for origin, code, title, no, name, school, region, level, opens_on, closes_on, status in values.iterator(
        chunk_size=2000
    ):
        yield [
            period.code,
            origin or "",
            code,
            title,
            no,
            name,
            school,
            region_label(region, level),
            (opens_on or period.starts_on).isoformat(),
            (closes_on or period.ends_on).isoformat(),
            STATUS_ZH.get(status, status),
            "通过" if status == EnrolmentStatus.PASSED else "未通过",
        ]


# --- The learner's course menu (选课) ----------------------------------------------------------
def periods_open_for(teacher: Teacher, moment: dt.datetime) -> list[Period]:
    """Periods whose selection window is open now, of projects meant for the teacher's region."""
    periods = Period.objects.filter(
        selection_opens_at__lte=moment, selection_closes_at__gte=moment, closed_at__isnull=True
    ).select_related("project__organiser")
    return [p for p in periods.order_by("selection_closes_at", "pk") if project_covers(p.project, teacher)]


@dataclass
class MenuItem:
    offering: Offering
    enrolment: Enrolment | None = None


@dataclass
class MenuCategory:
    code: str
    label: Any
    items: list[MenuItem]
    minimum: Decimal | None
    chosen_hours: Decimal
    earned_hours: Decimal


@dataclass
class CourseMenu:
    period: Period
    categories: list[MenuCategory]
    mine: list[Enrolment]
    chosen_hours: Decimal
    cap: Decimal
    total_required: Decimal | None

    @property
    def room(self) -> Decimal:
        return max(Decimal(0), self.cap - self.chosen_hours)


def course_menu(teacher: Teacher, period: Period) -> CourseMenu:
    """What the teacher may choose in the period, grouped by category, with what they hold."""
    offerings = (
        Offering.objects.filter(period=period, course__status=CourseStatus.PUBLISHED)
        .filter(_suits_q(teacher, "course__"))
        .select_related("course")
        .distinct()
        .order_by("course__code")
    )
    mine = list(
        Enrolment.objects.filter(teacher=teacher, offering__period=period)
        .select_related("offering__course")
        .order_by("offering__course__category", "offering__course__code")
    )
    by_offering = {e.offering_id: e for e in mine}
    earned = dict(
        Enrolment.objects.filter(
            teacher=teacher, offering__period__project_id=period.project_id, status=EnrolmentStatus.PASSED
        )
        .values("offering__course__category")
        .annotate(hours=Sum("hours_earned"))
        .values_list("offering__course__category", "hours")
    )
    chosen: dict[str, Decimal] = defaultdict(Decimal)
    for e in mine:
        chosen[e.offering.course.category] += e.offering.course.credit_hours
    grouped: dict[str, list[MenuItem]] = defaultdict(list)
    for offering in offerings:
        grouped[offering.course.category].append(MenuItem(offering, by_offering.get(offering.pk)))
    minimums = (period.project.scheme or {}).get("categories", {})
    categories = [
        MenuCategory(
            code=code,
            label=label,
            items=grouped.get(code, []),
            minimum=Decimal(minimums[code]) if code in minimums else None,
            chosen_hours=chosen.get(code, Decimal(0)),
            earned_hours=earned.get(code) or Decimal(0),
        )
        for code, label in CourseCategory.choices
        if grouped.get(code) or code in minimums
    ]
    total = (period.project.scheme or {}).get("total_hours")
    return CourseMenu(
        period=period,
        categories=categories,
        mine=mine,
        chosen_hours=sum(chosen.values(), Decimal(0)),
        cap=period.project.hours_cap_per_period,
        total_required=Decimal(total) if total else None,
    )
