"""Every write about training: projects, periods, offerings and enrolments."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from yanxiu.accounts.models import User
from yanxiu.catalog.models import CATEGORY_BY_LABEL_ZH, Course, CourseCategory, CourseStatus
from yanxiu.core.audit import audit_record
from yanxiu.core.errors import ValidationFailed
from yanxiu.core.spreadsheets import no_data_rows, read_table
from yanxiu.org.models import EmploymentStatus, Region, Teacher
from yanxiu.training.models import (
    DEFAULT_PASS_RULE,
    Enrolment,
    EnrolmentSource,
    Offering,
    Period,
    Project,
)

ENROLMENT_HEADERS = ("项目", "期次", "教师编号", "课程编号")


# --- Schemes -----------------------------------------------------------------------------------
def scheme_parse(raw: Any) -> dict[str, Any]:
    """Validate a completion scheme and key its categories by code.

    Accepts {"total_hours": 50, "categories": {"通识必修": 8, ...}, "practice_share": 0.5} with
    Chinese category names (as operators write it) or category codes; amounts become strings of
    Decimals so the JSON keeps them exactly.
    """
    if not isinstance(raw, dict):
        raise ValidationFailed("达标方案应为 JSON 对象。", code="bad_scheme")
    unknown = set(raw) - {"total_hours", "categories", "practice_share"}
    if unknown:
        raise ValidationFailed(f"达标方案含未知字段：{'、'.join(sorted(unknown))}。", code="bad_scheme")

    def amount(value: Any, what: str, *, upper: Decimal | None = None) -> Decimal:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValidationFailed(f"{what}应为数字。", code="bad_scheme") from None
        if not number.is_finite() or number < 0 or (upper is not None and number > upper):
            raise ValidationFailed(f"{what}超出范围。", code="bad_scheme")
        return number

    if "total_hours" not in raw:
        raise ValidationFailed("达标方案缺少 total_hours（总学时）。", code="bad_scheme")
    total = amount(raw["total_hours"], "总学时", upper=Decimal(1000))
    categories: dict[str, str] = {}
    raw_categories = raw.get("categories") or {}
    if not isinstance(raw_categories, dict):
        raise ValidationFailed("categories 应为“类别: 学时”的对象。", code="bad_scheme")
    for name, hours in raw_categories.items():
        code = CATEGORY_BY_LABEL_ZH.get(str(name)) or (name if name in CourseCategory.values else None)
        if code is None:
            raise ValidationFailed(f"未知的课程类别“{name}”。", code="bad_scheme")
        categories[code] = str(amount(hours, f"{name}学时", upper=total))
    if sum((Decimal(v) for v in categories.values()), Decimal(0)) > total:
        raise ValidationFailed("各类别最低学时之和超过总学时。", code="bad_scheme")
    scheme: dict[str, Any] = {"total_hours": str(total), "categories": categories}
    if raw.get("practice_share") is not None:
        scheme["practice_share"] = str(amount(raw["practice_share"], "实践学时比例", upper=Decimal(1)))
    return scheme


# --- Projects and periods ----------------------------------------------------------------------
def project_create(
    *,
    acting_user: User | None,
    code: str,
    name: str,
    organiser: Region,
    scheme: dict[str, Any],
    request: HttpRequest | None = None,
) -> Project:
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 32:
        raise ValidationFailed("项目代码不能为空，最长 32 位。", code="bad_project_code")
    if not name:
        raise ValidationFailed("请填写项目名称。", code="bad_project_name")
    parsed = scheme_parse(scheme)
    try:
        with transaction.atomic():
            project = Project.objects.create(code=code, name=name, organiser=organiser, scheme=parsed)
            audit_record(
                action="project.created",
                actor=acting_user,
                request=request,
                target=project,
                actor_label="" if acting_user else "system",
                detail={"scheme": parsed},
            )
    except IntegrityError:
        raise ValidationFailed(f"项目代码“{code}”或名称“{name}”已存在。", code="project_exists") from None
    return project


def period_create(
    *,
    acting_user: User | None,
    project: Project,
    code: str,
    starts_on: dt.date,
    ends_on: dt.date,
    selection_opens_at: dt.datetime | None = None,
    selection_closes_at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Period:
    code = (code or "").strip()
    if not code or len(code) > 16:
        raise ValidationFailed("期次不能为空，最长 16 位。", code="bad_period_code")
    if ends_on < starts_on:
        raise ValidationFailed("结束日期不能早于开始日期。", code="bad_period_dates")
    if selection_opens_at and selection_closes_at and selection_closes_at < selection_opens_at:
        raise ValidationFailed("选课截止时间不能早于选课开始时间。", code="bad_selection_window")
    try:
        with transaction.atomic():
            period = Period.objects.create(
                project=project,
                code=code,
                starts_on=starts_on,
                ends_on=ends_on,
                selection_opens_at=selection_opens_at,
                selection_closes_at=selection_closes_at,
            )
            audit_record(
                action="period.created",
                actor=acting_user,
                request=request,
                target=period,
                actor_label="" if acting_user else "system",
                detail={"project": project.code, "code": code},
            )
    except IntegrityError:
        raise ValidationFailed(f"项目“{project.name}”已有 {code} 期。", code="period_exists") from None
    return period


def offering_ensure(*, period: Period, course: Course) -> tuple[Offering, bool]:
    """The course's offering in the period, created with the default pass rule if missing."""
    return Offering.objects.get_or_create(period=period, course=course, defaults={"pass_rule": dict(DEFAULT_PASS_RULE)})


# --- Enrolment ---------------------------------------------------------------------------------
def period_hours_of(teacher: Teacher, period: Period) -> Decimal:
    total = Enrolment.objects.filter(teacher=teacher, offering__period=period).aggregate(
        hours=Sum("offering__course__credit_hours")
    )["hours"]
    return total or Decimal(0)


def enrolment_choose(*, acting_user: User, offering: Offering, request: HttpRequest | None = None) -> Enrolment:
    """A learner chooses a course during the selection window (no duplicate; hours cap per period).

    Safe to double-click: the teacher row is locked, so two requests at once make one enrolment.
    """
    teacher = Teacher.objects.filter(user=acting_user).first()
    if teacher is None:
        raise ValidationFailed("只有教师可以选课。", code="not_a_teacher")
    if teacher.status != EmploymentStatus.ACTIVE:
        raise ValidationFailed("只有在职教师可以选课。", code="not_active")
    if offering.course.status != CourseStatus.PUBLISHED:
        raise ValidationFailed("该课程尚未发布或已停用，不能选课。", code="course_unavailable")
    period = offering.period
    now = timezone.now()
    if not (period.selection_opens_at and period.selection_closes_at) or not (
        period.selection_opens_at <= now <= period.selection_closes_at
    ):
        raise ValidationFailed("现在不在选课时间内。", code="selection_closed")
    with transaction.atomic():
        Teacher.objects.select_for_update().filter(pk=teacher.pk).first()
        existing = Enrolment.objects.filter(teacher=teacher, offering=offering).first()
        if existing is not None:
            return existing
        cap = period.project.hours_cap_per_period
        after = period_hours_of(teacher, period) + offering.course.credit_hours
        if after > cap:
            raise ValidationFailed(
                f"本期已选 {after - offering.course.credit_hours} 学时，再选此课程将超过每期 {cap} 学时的上限。",
                code="hours_cap",
            )
        enrolment = Enrolment.objects.create(teacher=teacher, offering=offering, source=EnrolmentSource.CHOSEN)
        audit_record(action="enrolment.chosen", actor=acting_user, request=request, target=enrolment)
    return enrolment


def enrolments_import(data: bytes, filename: str, *, actor: User | None, dry_run: bool = False) -> dict[str, Any]:
    """`yanxiu import-enrolments`: rows of 项目, 期次, 教师编号, 课程编号 become enrolments
    (source: assigned). Re-importing the same file creates nothing; bad rows are reported."""
    rows = read_table(data, filename, headers=ENROLMENT_HEADERS, required=ENROLMENT_HEADERS)
    all_projects = list(Project.objects.all())
    projects = {p.code: p for p in all_projects} | {p.name: p for p in all_projects}
    periods = {(p.project_id, p.code): p for p in Period.objects.all()}
    courses = dict(Course.objects.values_list("code", "id"))
    teachers = dict(Teacher.objects.values_list("teacher_no", "id"))
    wanted: list[tuple[int, int, Period]] = []  # (teacher id, course id, period)
    errors: list[tuple[int, str]] = []
    seen: set[tuple[int, int, int]] = set()
    total = 0
    for values in rows:
        line = values.line
        total += 1
        problems = []
        project = projects.get(values["项目"])
        if project is None:
            problems.append(f"找不到项目“{values['项目']}”。")
        period = periods.get((project.pk, values["期次"])) if project else None
        if project and period is None:
            problems.append(f"项目“{project.name}”没有 {values['期次']} 期。")
        teacher_id = teachers.get(values["教师编号"])
        if teacher_id is None:
            problems.append(f"找不到教师编号“{values['教师编号']}”。")
        course_id = courses.get(values["课程编号"])
        if course_id is None:
            problems.append(f"找不到课程编号“{values['课程编号']}”。")
        if problems:
            errors.append((line, " ".join(problems)))
            continue
        assert period is not None and teacher_id is not None and course_id is not None
        key = (teacher_id, course_id, period.pk)
        if key in seen:
            continue  # the same enrolment twice in one file is one enrolment
        seen.add(key)
        wanted.append((teacher_id, course_id, period))
    if total == 0:
        raise no_data_rows()
    counts: Counter[str] = Counter()
    if not dry_run and wanted:
        with transaction.atomic():
            offerings: dict[tuple[int, int], Offering] = {
                (o.period_id, o.course_id): o for o in Offering.objects.filter(period__in={p.pk for _, _, p in wanted})
            }
            for _, course_id, period in wanted:
                if (period.pk, course_id) not in offerings:
                    offering = Offering.objects.create(
                        period=period, course_id=course_id, pass_rule=dict(DEFAULT_PASS_RULE)
                    )
                    offerings[(period.pk, course_id)] = offering
                    counts["offerings_created"] += 1
            existing = set(
                Enrolment.objects.filter(offering__in=[o.pk for o in offerings.values()]).values_list(
                    "teacher_id", "offering_id"
                )
            )
            new = []
            for teacher_id, course_id, period in wanted:
                offering = offerings[(period.pk, course_id)]
                if (teacher_id, offering.pk) in existing:
                    counts["unchanged"] += 1
                else:
                    new.append(Enrolment(teacher_id=teacher_id, offering=offering, source=EnrolmentSource.ASSIGNED))
            Enrolment.objects.bulk_create(new, batch_size=2000)
            counts["created"] = len(new)
            audit_record(
                action="enrolments.imported",
                actor=actor,
                actor_label="" if actor else "system",
                detail={"created": len(new), "file": filename},
            )
    return {
        "created": counts["created"] if not dry_run else len(wanted),
        "updated": 0,
        "unchanged": counts["unchanged"],
        "errors": len(errors),
        "offerings_created": counts["offerings_created"],
        "error_rows": errors,
    }
