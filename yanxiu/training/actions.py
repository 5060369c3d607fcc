"""Every write about training: projects, periods, offerings and enrolments."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError, Sum
from django.http import HttpRequest
from django.utils import timezone

from yanxiu.accounts.models import User
from yanxiu.catalog.models import CATEGORY_BY_LABEL_ZH, Course, CourseCategory, CourseStatus
from yanxiu.core.audit import audit_record
from yanxiu.core.errors import Conflict, NotFound, ValidationFailed
from yanxiu.core.spreadsheets import no_data_rows, read_table, write_xlsx
from yanxiu.org import permissions as org_permissions
from yanxiu.org.models import EmploymentStatus, Region, Teacher
from yanxiu.training import permissions, selectors
from yanxiu.training.formats import hours_text
from yanxiu.training.models import (
    DEFAULT_HOURS_CAP,
    DEFAULT_PASS_RULE,
    Enrolment,
    EnrolmentSource,
    EnrolmentStatus,
    FeeStatus,
    Klass,
    Offering,
    Period,
    Project,
)

ENROLMENT_HEADERS = ("项目", "期次", "教师编号", "课程编号")
PASS_PERCENT_MESSAGE = "必修活动完成比例应在 1 到 100 之间。"  # noqa: S105 - a message, not a password
# The sources an administrator gives; chosen enrolments are the learner's, retakes come from retakes_open.
ADMIN_SOURCES = (EnrolmentSource.ASSIGNED, EnrolmentSource.RECOMMENDED)


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
def _require_organiser(acting_user: User, organiser: Region) -> None:
    permissions.require_project_admin(acting_user)
    if not permissions.organisers_visible_to(acting_user).filter(pk=organiser.pk).exists():
        raise ValidationFailed("主办单位应在您的管辖范围内。", code="organiser_out_of_scope")


def _hours_cap(value: Any) -> Decimal:
    try:
        cap = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed("每期选课学时上限应为数字。", code="bad_hours_cap") from None
    if not cap.is_finite() or cap <= 0 or cap > 1000 or cap != cap.quantize(Decimal("0.1")):
        raise ValidationFailed("每期选课学时上限应在 0.1 到 1000 之间，最多一位小数。", code="bad_hours_cap")
    return cap


def project_create(
    *,
    acting_user: User | None,
    code: str,
    name: str,
    organiser: Region,
    scheme: dict[str, Any],
    hours_cap_per_period: Decimal = DEFAULT_HOURS_CAP,
    request: HttpRequest | None = None,
) -> Project:
    """A project organised by a region; an administrator may only organise within their scope."""
    if acting_user is not None:
        _require_organiser(acting_user, organiser)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 32:
        raise ValidationFailed("项目代码不能为空，最长 32 位。", code="bad_project_code")
    if not name:
        raise ValidationFailed("请填写项目名称。", code="bad_project_name")
    parsed = scheme_parse(scheme)
    cap = _hours_cap(hours_cap_per_period)
    try:
        with transaction.atomic():
            project = Project.objects.create(
                code=code, name=name, organiser=organiser, scheme=parsed, hours_cap_per_period=cap
            )
            audit_record(
                action="project.created",
                actor=acting_user,
                request=request,
                target=project,
                actor_label="" if acting_user else "system",
                detail={"scheme": parsed, "hours_cap_per_period": str(cap)},
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
    if acting_user is not None:
        permissions.access_project(acting_user, project.pk)
    code = (code or "").strip()
    _check_period_fields(code, starts_on, ends_on, selection_opens_at, selection_closes_at)
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


def _check_period_fields(
    code: str,
    starts_on: dt.date,
    ends_on: dt.date,
    selection_opens_at: dt.datetime | None,
    selection_closes_at: dt.datetime | None,
) -> None:
    if not code or len(code) > 16:
        raise ValidationFailed("期次不能为空，最长 16 位。", code="bad_period_code")
    if ends_on < starts_on:
        raise ValidationFailed("结束日期不能早于开始日期。", code="bad_period_dates")
    if bool(selection_opens_at) != bool(selection_closes_at):
        raise ValidationFailed("选课开始和截止时间应同时填写或同时留空。", code="bad_selection_window")
    if selection_opens_at and selection_closes_at and selection_closes_at < selection_opens_at:
        raise ValidationFailed("选课截止时间不能早于选课开始时间。", code="bad_selection_window")


def project_update(
    *,
    acting_user: User,
    project: Project,
    code: str,
    name: str,
    organiser: Region,
    scheme: dict[str, Any],
    hours_cap_per_period: Decimal,
    request: HttpRequest | None = None,
) -> Project:
    """Change a project's names, organiser (within the scope), scheme and hours cap."""
    permissions.access_project(acting_user, project.pk)
    _require_organiser(acting_user, organiser)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 32:
        raise ValidationFailed("项目代码不能为空，最长 32 位。", code="bad_project_code")
    if not name:
        raise ValidationFailed("请填写项目名称。", code="bad_project_name")
    parsed = scheme_parse(scheme)
    cap = _hours_cap(hours_cap_per_period)
    before = _project_snapshot(project)
    project.code, project.name, project.organiser = code, name, organiser
    project.scheme, project.hours_cap_per_period = parsed, cap
    try:
        with transaction.atomic():
            project.save()
            audit_record(
                action="project.updated",
                actor=acting_user,
                request=request,
                target=project,
                detail={"before": before, "after": _project_snapshot(project)},
            )
    except IntegrityError:
        raise ValidationFailed(f"项目代码“{code}”或名称“{name}”已存在。", code="project_exists") from None
    return project


def _project_snapshot(project: Project) -> dict[str, Any]:
    return {
        "code": project.code,
        "name": project.name,
        "organiser": project.organiser_id,
        "scheme": project.scheme,
        "hours_cap_per_period": str(project.hours_cap_per_period),
    }


def period_update(
    *,
    acting_user: User,
    period: Period,
    code: str,
    starts_on: dt.date,
    ends_on: dt.date,
    selection_opens_at: dt.datetime | None,
    selection_closes_at: dt.datetime | None,
    request: HttpRequest | None = None,
) -> Period:
    """Change a period's code, dates and selection window. A closed period keeps its dates: its
    enrolments were passed or failed against them (the code may still be corrected)."""
    permissions.access_period(acting_user, period.pk)
    code = (code or "").strip()
    _check_period_fields(code, starts_on, ends_on, selection_opens_at, selection_closes_at)
    fields = ("code", "starts_on", "ends_on", "selection_opens_at", "selection_closes_at")
    dates = {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "selection_opens_at": selection_opens_at,
        "selection_closes_at": selection_closes_at,
    }
    try:
        with transaction.atomic():
            # The lock period_close takes: a period closing meanwhile keeps its dates too.
            locked = Period.objects.select_for_update().get(pk=period.pk)
            if locked.closed_at is not None and any(getattr(locked, f) != v for f, v in dates.items()):
                closed_on = timezone.localtime(locked.closed_at)
                raise ValidationFailed(
                    f"{locked.code} 期已于 {closed_on:%Y-%m-%d} 结束，不能再修改日期和选课时间。", code="period_closed"
                )
            before = {f: str(getattr(locked, f)) for f in fields}
            locked.code = code
            for name, value in dates.items():
                setattr(locked, name, value)
            locked.save()
            audit_record(
                action="period.updated",
                actor=acting_user,
                request=request,
                target=locked,
                detail={"before": before, "after": {f: str(getattr(locked, f)) for f in fields}},
            )
    except IntegrityError:
        raise ValidationFailed(f"项目“{period.project.name}”已有 {code} 期。", code="period_exists") from None
    for name in (*fields, "closed_at", "updated_at"):
        setattr(period, name, getattr(locked, name))
    return period


def period_close(*, acting_user: User, period: Period, request: HttpRequest | None = None) -> int:
    """End a period: every enrolment not passed becomes failed. Returns how many changed.

    Idempotent: a second run changes nothing (and records nothing). Only after the period's end
    date, so that nobody fails a course they still have time to pass.
    """
    permissions.access_period(acting_user, period.pk)
    if timezone.localdate() <= period.ends_on:
        raise ValidationFailed(
            f"{period.code} 期到 {period.ends_on:%Y-%m-%d} 才结束，结束后才能结束期次。", code="period_running"
        )
    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        changed = (
            Enrolment.objects.filter(offering__period=locked)
            .exclude(status__in=[EnrolmentStatus.PASSED, EnrolmentStatus.FAILED])
            .update(status=EnrolmentStatus.FAILED, updated_at=timezone.now())
        )
        first_close = locked.closed_at is None
        if first_close:
            locked.closed_at = timezone.now()
            locked.save(update_fields=["closed_at", "updated_at"])
        if first_close or changed:
            audit_record(
                action="period.closed", actor=acting_user, request=request, target=locked, detail={"failed": changed}
            )
    period.closed_at = locked.closed_at
    return changed


def offering_ensure(*, period: Period, course: Course) -> tuple[Offering, bool]:
    """The course's offering in the period, created with the default pass rule if missing."""
    return Offering.objects.get_or_create(period=period, course=course, defaults={"pass_rule": dict(DEFAULT_PASS_RULE)})


# --- Offerings and classes -------------------------------------------------------------------
def offering_add(*, acting_user: User, period: Period, course: Course, request: HttpRequest | None = None) -> Offering:
    """Offer a published course in the period (with the default pass rule of seed 004)."""
    permissions.access_period(acting_user, period.pk)
    if course.status != CourseStatus.PUBLISHED:
        raise ValidationFailed("只能开设已发布的课程。", code="course_unavailable")
    with transaction.atomic():
        offering, created = offering_ensure(period=period, course=course)
        if created:
            audit_record(
                action="offering.created",
                actor=acting_user,
                request=request,
                target=offering,
                detail={"period": period.pk, "course": course.code},
            )
    return offering


def pass_rule_from_percent(percent: Decimal, assignment_required: bool) -> dict[str, Any]:
    """{"required_ratio": "0.6", "assignment_required": true} from 60 (percent) and yes/no."""
    # 0% would pass learners who did nothing.
    if not percent.is_finite() or not Decimal(1) <= percent <= Decimal(100):
        raise ValidationFailed(PASS_PERCENT_MESSAGE, code="bad_pass_rule")
    ratio = (percent / Decimal(100)).normalize()
    return {"required_ratio": f"{ratio:f}", "assignment_required": bool(assignment_required)}


def offering_pass_rule_set(
    *,
    acting_user: User,
    offering: Offering,
    required_percent: Decimal,
    assignment_required: bool,
    request: HttpRequest | None = None,
) -> Offering:
    permissions.access_offering(acting_user, offering.pk)
    rule = pass_rule_from_percent(required_percent, assignment_required)
    with transaction.atomic():
        before = offering.pass_rule
        offering.pass_rule = rule
        offering.save(update_fields=["pass_rule", "updated_at"])
        audit_record(
            action="offering.pass_rule_set",
            actor=acting_user,
            request=request,
            target=offering,
            detail={"before": before, "after": rule},
        )
    return offering


def offering_remove(*, acting_user: User, offering: Offering, request: HttpRequest | None = None) -> None:
    """Withdraw a course from a period; only while nobody is enrolled in it."""
    permissions.access_offering(acting_user, offering.pk)
    with transaction.atomic():
        locked = Offering.objects.select_for_update().get(pk=offering.pk)
        if Enrolment.objects.filter(offering=locked).exists():
            raise ValidationFailed("已有学员选了这门课程，不能撤下。", code="offering_in_use")
        detail = {"period": locked.period_id, "course": offering.course.code}
        Klass.objects.filter(offering=locked).delete()
        locked.delete()
        audit_record(
            action="offering.removed",
            actor=acting_user,
            request=request,
            target_type=Offering._meta.label_lower,
            target_id=offering.pk,
            detail=detail,
        )


def _klass_fields(name: str, capacity: int | None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("班级名称不能为空，最长 100 字。", code="bad_klass_name")
    if capacity is not None and not 1 <= capacity <= 10000:
        raise ValidationFailed("班级容量应在 1 到 10000 之间。", code="bad_capacity")
    return name


def _tutors_in_scope(acting_user: User, tutors: Iterable[User]) -> list[User]:
    tutors = list(tutors)
    allowed = set(permissions.tutors_visible_to(acting_user).values_list("pk", flat=True))
    if any(t.pk not in allowed for t in tutors):
        raise ValidationFailed("辅导教师应为您管辖范围内的辅导教师。", code="tutor_out_of_scope")
    return tutors


def klass_create(
    *,
    acting_user: User,
    offering: Offering,
    name: str,
    capacity: int | None = None,
    tutors: Iterable[User] = (),
    request: HttpRequest | None = None,
) -> Klass:
    permissions.access_offering(acting_user, offering.pk)
    name = _klass_fields(name, capacity)
    chosen = _tutors_in_scope(acting_user, tutors)
    try:
        with transaction.atomic():
            klass = Klass.objects.create(offering=offering, name=name, capacity=capacity)
            klass.tutors.set(chosen)
            audit_record(
                action="klass.created",
                actor=acting_user,
                request=request,
                target=klass,
                detail={"name": name, "capacity": capacity, "tutors": [t.pk for t in chosen]},
            )
    except IntegrityError:
        raise ValidationFailed(f"该课程已有名为“{name}”的班级。", code="klass_exists") from None
    return klass


def klass_update(
    *,
    acting_user: User,
    klass: Klass,
    name: str,
    capacity: int | None,
    tutors: Iterable[User],
    request: HttpRequest | None = None,
) -> Klass:
    """Rename a class, change its capacity (not below its learners) and its tutors."""
    permissions.access_klass(acting_user, klass.pk)
    name = _klass_fields(name, capacity)
    chosen = _tutors_in_scope(acting_user, tutors)
    size = klass.enrolments.count()
    if capacity is not None and capacity < size:
        raise ValidationFailed(f"班级已有 {size} 名学员，容量不能小于 {size}。", code="bad_capacity")
    before = {
        "name": klass.name,
        "capacity": klass.capacity,
        "tutors": sorted(klass.tutors.values_list("pk", flat=True)),
    }
    try:
        with transaction.atomic():
            klass.name, klass.capacity = name, capacity
            klass.save(update_fields=["name", "capacity", "updated_at"])
            klass.tutors.set(chosen)
            audit_record(
                action="klass.updated",
                actor=acting_user,
                request=request,
                target=klass,
                detail={
                    "before": before,
                    "after": {"name": name, "capacity": capacity, "tutors": sorted(t.pk for t in chosen)},
                },
            )
    except IntegrityError:
        raise ValidationFailed(f"该课程已有名为“{name}”的班级。", code="klass_exists") from None
    return klass


def klasses_split(
    *, acting_user: User, offering: Offering, capacity: int, request: HttpRequest | None = None
) -> dict[str, int]:
    """Put the offering's learners without a class into classes by district and subject.

    Learners are grouped by (their school's district, their subject); each group fills its
    classes ("海珠区·语文 1班", "海珠区·语文 2班", ...) up to `capacity`. A re-run moves only
    learners still without a class: it first fills the room left in the group's last class.
    """
    permissions.access_offering(acting_user, offering.pk)
    if not 1 <= capacity <= 10000:
        raise ValidationFailed("每班人数应在 1 到 10000 之间。", code="bad_capacity")
    with transaction.atomic():
        Offering.objects.select_for_update().get(pk=offering.pk)
        rows = list(
            Enrolment.objects.filter(offering=offering, klass__isnull=True)
            .order_by("teacher__school__region_id", "teacher__subject_id", "teacher__school_id", "teacher__teacher_no")
            .values_list(
                "pk",
                "teacher__school__region_id",
                "teacher__school__region__name",
                "teacher__school__region__level",
                "teacher__subject_id",
                "teacher__subject__name",
            )
        )
        groups: dict[tuple[str, int | None], list[int]] = defaultdict(list)
        labels: dict[tuple[str, int | None], str] = {}
        for pk, region_id, region_name, level, subject_id, subject_name in rows:
            group: tuple[str, int | None] = (region_id, subject_id)
            groups[group].append(pk)
            labels[group] = f"{selectors.region_label(region_name, level)}·{subject_name or '未填学科'}"
        existing: dict[tuple[str, int | None], list[Klass]] = defaultdict(list)
        sizes: dict[int, int] = {}
        for split in (
            Klass.objects.filter(offering=offering, region__isnull=False)
            .annotate(size=Count("enrolments"))
            .order_by("pk")
        ):
            existing[(str(split.region_id), split.subject_id)].append(split)
            sizes[split.pk] = split.size
        names = set(Klass.objects.filter(offering=offering).values_list("name", flat=True))
        created = moved = 0
        for key, pks in groups.items():
            classes = existing[key]
            klass: Klass
            last = classes[-1] if classes else None
            if last is not None:
                room = (last.capacity or capacity) - sizes[last.pk]
                if room > 0:
                    Enrolment.objects.filter(pk__in=pks[:room]).update(klass=last, updated_at=timezone.now())
                    moved += len(pks[:room])
                    pks = pks[room:]
            number = len(classes)
            while pks:
                number += 1
                name = f"{labels[key]} {number}班"
                while name in names:
                    number += 1
                    name = f"{labels[key]} {number}班"
                names.add(name)
                klass = Klass.objects.create(
                    offering=offering, name=name, capacity=capacity, region_id=key[0], subject_id=key[1]
                )
                Enrolment.objects.filter(pk__in=pks[:capacity]).update(klass=klass, updated_at=timezone.now())
                created += 1
                moved += len(pks[:capacity])
                pks = pks[capacity:]
        if moved:
            audit_record(
                action="klasses.split",
                actor=acting_user,
                request=request,
                target=offering,
                detail={"capacity": capacity, "classes_created": created, "enrolments_placed": moved},
            )
    return {"classes_created": created, "enrolments_placed": moved}


# --- Enrolment ---------------------------------------------------------------------------------
def _require_open_for_assignment(offering: Offering) -> None:
    if offering.course.status != CourseStatus.PUBLISHED:
        raise ValidationFailed("该课程尚未发布或已停用，不能选课。", code="course_unavailable")
    period = offering.period
    if period.closed_at is not None or timezone.localdate() > period.ends_on:
        raise ValidationFailed(f"{period.code} 期已经结束，不能再安排选课。", code="period_over")


def enrolments_assign(
    *,
    acting_user: User,
    offering: Offering,
    rule: selectors.EnrolmentRule,
    source: str = EnrolmentSource.ASSIGNED,
    request: HttpRequest | None = None,
) -> dict[str, int]:
    """Enrolment by rule: enrol the active teachers of the scope matching `rule`, as assigned (指定)
    or recommended (推荐) courses.

    Teachers already enrolled are skipped, and so are those the course would take over the
    period's hours cap (assigned courses count towards it as chosen ones do). The offering row is
    locked and the (teacher, offering) pair is unique, so a double submit enrols nobody twice.
    """
    permissions.access_offering(acting_user, offering.pk)
    if source not in ADMIN_SOURCES:
        raise ValidationFailed("选课来源应为“指定”或“推荐”。", code="bad_source")
    _require_open_for_assignment(offering)
    with transaction.atomic():
        Offering.objects.select_for_update().get(pk=offering.pk)
        # Teacher locks in pk order, as the import takes them: two writers never deadlock.
        candidate_ids = list(selectors.rule_teachers(acting_user, rule).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(candidate_ids), 2000):
            # The same lock enrolment_choose takes: no one chooses past the cap meanwhile.
            chunk = candidate_ids[start : start + 2000]
            list(Teacher.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values("pk"))
        plan = selectors.assignment_plan(acting_user, offering, rule)
        before = Enrolment.objects.filter(offering=offering).count()
        Enrolment.objects.bulk_create(
            [Enrolment(teacher_id=pk, offering=offering, source=source) for pk in plan.new_teacher_ids],
            batch_size=2000,
            ignore_conflicts=True,
        )
        created = Enrolment.objects.filter(offering=offering).count() - before
        summary = {"matched": plan.matched, "created": created, "already": plan.already, "over_cap": plan.over_cap}
        if created:
            audit_record(
                action="enrolments.assigned",
                actor=acting_user,
                request=request,
                target=offering,
                detail={"rule": rule.as_params(), "source": source, **summary},
            )
    return summary


def enrolment_update(
    *,
    acting_user: User,
    enrolment: Enrolment,
    fee_status: str | None = None,
    klass: Klass | None = None,
    source: str | None = None,
    request: HttpRequest | None = None,
) -> Enrolment:
    """An administrator changes an enrolment: its fee status (未缴费 blocks learning), its class
    (another class of the same offering, within capacity) or its source (指定 ⇄ 推荐).

    None leaves a field as it is; a change to nothing records nothing.
    """
    permissions.access_enrolment(acting_user, enrolment.pk)
    if fee_status is not None and fee_status not in FeeStatus.values:
        raise ValidationFailed("请选择缴费状态：免费、未缴费或已缴费。", code="bad_fee_status")
    if source is not None and source not in ADMIN_SOURCES:
        raise ValidationFailed("选课来源只能改为“指定”或“推荐”。", code="bad_source")
    if klass is not None and klass.offering_id != enrolment.offering_id:
        raise ValidationFailed("只能调到同一门课程的其他班级。", code="klass_elsewhere")
    with transaction.atomic():
        if klass is not None:
            # The lock klasses_split takes before it fills classes: nobody overfills one meanwhile.
            Offering.objects.select_for_update().get(pk=enrolment.offering_id)
        locked = Enrolment.objects.select_for_update().filter(pk=enrolment.pk).first()
        if locked is None:
            raise NotFound("这条选课记录已被移除。")
        fields = ("fee_status", "klass_id", "source")
        before = {f: getattr(locked, f) for f in fields}
        if fee_status is not None:
            locked.fee_status = fee_status
        if source is not None and source != locked.source:
            if locked.source not in ADMIN_SOURCES:
                raise ValidationFailed("只有指定或推荐的选课可以改来源；自主选课和重修不能改。", code="source_fixed")
            locked.source = source
        if klass is not None and klass.pk != locked.klass_id:
            size = Enrolment.objects.filter(klass=klass).count()
            if klass.capacity is not None and size >= klass.capacity:
                raise ValidationFailed(
                    f"班级“{klass.name}”已满（{size}/{klass.capacity} 人），请先调整容量或选其他班级。",
                    code="klass_full",
                )
            locked.klass = klass
        after = {f: getattr(locked, f) for f in fields}
        changed = [f for f in fields if before[f] != after[f]]
        if changed:
            locked.save(update_fields=[f.removesuffix("_id") for f in changed] + ["updated_at"])
            audit_record(
                action="enrolment.updated",
                actor=acting_user,
                request=request,
                target=locked,
                detail={
                    "before": {f: before[f] for f in changed},
                    "after": {f: after[f] for f in changed},
                },
            )
    return locked


def enrolment_remove(*, acting_user: User, enrolment: Enrolment, request: HttpRequest | None = None) -> None:
    """An administrator removes a wrongly assigned enrolment, only while nothing was learned in it.

    Results are never lost: once learning started (a start time, progress, a status beyond
    已选课), the enrolment stays; its learning records hang on it.
    """
    permissions.access_enrolment(acting_user, enrolment.pk)
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().filter(pk=enrolment.pk).first()
        if locked is None:
            return  # removed already (a double click)
        if (
            locked.started_at is not None
            or locked.status != EnrolmentStatus.SELECTED
            or locked.progress
            or locked.last_learned_at is not None
        ):
            raise ValidationFailed(
                "该学员已经开始学习这门课程，不能移除选课：学习记录和结果必须保留。", code="already_started"
            )
        detail = {
            "teacher": locked.teacher_id,
            "offering": locked.offering_id,
            "klass": locked.klass_id,
            "source": locked.source,
            "fee_status": locked.fee_status,
        }
        try:
            with transaction.atomic():
                locked.delete()
        except (IntegrityError, ProtectedError):
            # Something still points at it (e.g. a retake of it): keep it rather than lose that.
            raise ValidationFailed("这条选课记录已有关联记录，不能移除。", code="enrolment_in_use") from None
        audit_record(
            action="enrolment.removed",
            actor=acting_user,
            request=request,
            target_type=Enrolment._meta.label_lower,
            target_id=enrolment.pk,
            detail=detail,
        )


def enrolments_export(
    *,
    acting_user: User,
    offering: Offering,
    filters: selectors.EnrolmentFilter,
    request: HttpRequest | None = None,
) -> IO[bytes]:
    """The offering's enrolments as .xlsx, with no personal columns (nothing to mask)."""
    permissions.access_offering(acting_user, offering.pk)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the caller's response closes it
    rows = selectors.enrolment_export_rows(acting_user, offering, filters)
    write_xlsx(handle, selectors.ENROLMENT_EXPORT_HEADERS, rows, title="选课名单")
    handle.seek(0)
    audit_record(
        action="enrolments.exported",
        actor=acting_user,
        request=request,
        target=offering,
        detail={"filters": {k: v for k, v in dataclasses.asdict(filters).items() if v}},
    )
    return handle


def period_hours_of(teacher: Teacher, period: Period) -> Decimal:
    total = Enrolment.objects.filter(teacher=teacher, offering__period=period).aggregate(
        hours=Sum("offering__course__credit_hours")
    )["hours"]
    return total or Decimal(0)


def enrolment_choose(*, acting_user: User, offering: Offering, request: HttpRequest | None = None) -> Enrolment:
    """A learner chooses a course during the selection window (no duplicate; hours cap per period).

    The course must be published, suit the teacher's stage and subject, and belong to a project
    whose organiser covers the teacher's region. Safe to double-click: the teacher row is locked,
    so two requests at once make one enrolment.
    """
    teacher = Teacher.objects.filter(user=acting_user).select_related("school").first()
    if teacher is None:
        raise ValidationFailed("只有教师可以选课。", code="not_a_teacher")
    if teacher.status != EmploymentStatus.ACTIVE:
        raise ValidationFailed("只有在职教师可以选课。", code="not_active")
    if offering.course.status != CourseStatus.PUBLISHED:
        raise ValidationFailed("该课程尚未发布或已停用，不能选课。", code="course_unavailable")
    period = offering.period
    if not period.selection_open_at(timezone.now()):
        raise ValidationFailed("现在不在选课时间内。", code="selection_closed")
    if not selectors.project_covers(period.project, teacher):
        raise ValidationFailed("该培训项目不面向您所在的区域。", code="not_for_region")
    if not selectors.course_suits(offering.course, teacher):
        raise ValidationFailed("该课程不适合您的学段或学科。", code="course_unsuitable")
    with transaction.atomic():
        Teacher.objects.select_for_update().filter(pk=teacher.pk).first()
        existing = Enrolment.objects.filter(teacher=teacher, offering=offering).first()
        if existing is not None:
            return existing
        cap = period.project.hours_cap_per_period
        after = period_hours_of(teacher, period) + offering.course.credit_hours
        if after > cap:
            raise ValidationFailed(
                f"本期已选 {hours_text(after - offering.course.credit_hours)} 学时，"
                f"再选此课程将超过每期 {hours_text(cap)} 学时的上限。",
                code="hours_cap",
            )
        enrolment = Enrolment.objects.create(teacher=teacher, offering=offering, source=EnrolmentSource.CHOSEN)
        audit_record(action="enrolment.chosen", actor=acting_user, request=request, target=enrolment)
    return enrolment


def enrolment_drop(*, acting_user: User, enrolment: Enrolment, request: HttpRequest | None = None) -> None:
    """A learner drops a course they chose themselves, during the window, before starting it.

    Assigned, recommended and retake enrolments are the administrators' to change.
    """
    teacher = Teacher.objects.filter(user=acting_user).first()
    if teacher is None or enrolment.teacher_id != teacher.pk:
        raise NotFound()
    if enrolment.source != EnrolmentSource.CHOSEN:
        raise ValidationFailed("这门课程是指定、推荐或重修的课程，不能自行退选。", code="not_droppable")
    if not enrolment.offering.period.selection_open_at(timezone.now()):
        raise ValidationFailed("现在不在选课时间内，不能退选。", code="selection_closed")
    with transaction.atomic():
        Teacher.objects.select_for_update().filter(pk=teacher.pk).first()
        current = Enrolment.objects.filter(pk=enrolment.pk).first()
        if current is None:
            return  # dropped already (a double click)
        if current.started_at is not None or current.status != EnrolmentStatus.SELECTED:
            raise ValidationFailed("已经开始学习的课程不能退选。", code="already_started")
        detail = {"offering": current.offering_id, "course": enrolment.offering.course.code}
        current.delete()
        audit_record(
            action="enrolment.dropped",
            actor=acting_user,
            request=request,
            target_type=Enrolment._meta.label_lower,
            target_id=enrolment.pk,
            detail=detail,
        )


def enrolments_import(data: bytes, filename: str, *, actor: User | None, dry_run: bool = False) -> dict[str, Any]:
    """Enrolment by file (`yanxiu import-enrolments` and the upload page): rows of 项目, 期次,
    教师编号, 课程编号 become enrolments (source: assigned). Re-importing the same file creates
    nothing; bad rows are reported. The course must be published, and the period's hours cap holds
    as for chosen courses. With an administrator as `actor`, only their projects and the teachers
    of their scope are found (others read as unknown, so nothing outside the scope is revealed).
    """
    rows = read_table(data, filename, headers=ENROLMENT_HEADERS, required=ENROLMENT_HEADERS)
    if actor is not None:
        permissions.require_project_admin(actor)
        project_qs = permissions.projects_visible_to(actor)
        teacher_qs = org_permissions.teachers_visible_to(actor)
    else:
        project_qs, teacher_qs = Project.objects.all(), Teacher.objects.all()
    all_projects = list(project_qs)
    projects = {p.code: p for p in all_projects} | {p.name: p for p in all_projects}
    periods = {(p.project_id, p.code): p for p in Period.objects.filter(project__in=[p.pk for p in all_projects])}
    courses = {
        code: (pk, status, hours)
        for code, pk, status, hours in Course.objects.values_list("code", "id", "status", "credit_hours")
    }
    teachers = dict(teacher_qs.values_list("teacher_no", "id"))
    wanted: list[tuple[int, int, int, Period]] = []  # (line, teacher id, course id, period)
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
        elif period is not None and period.closed_at is not None:
            problems.append(f"{period.code} 期已经结束。")
        teacher_id = teachers.get(values["教师编号"])
        if teacher_id is None:
            problems.append(f"找不到教师编号“{values['教师编号']}”。")
        course = courses.get(values["课程编号"])
        if course is None:
            problems.append(f"找不到课程编号“{values['课程编号']}”。")
        elif course[1] != CourseStatus.PUBLISHED:
            problems.append(f"课程“{values['课程编号']}”尚未发布或已停用。")
        if problems:
            errors.append((line, " ".join(problems)))
            continue
        assert period is not None and teacher_id is not None and course is not None
        key = (teacher_id, course[0], period.pk)
        if key in seen:
            continue  # the same enrolment twice in one file is one enrolment
        seen.add(key)
        wanted.append((line, teacher_id, course[0], period))
    if total == 0:
        raise no_data_rows()
    course_hours = {pk: hours for pk, _, hours in courses.values()}

    def classify() -> tuple[list[tuple[int, int, Period]], int]:
        """New enrolments within the cap, and how many exist already; over-cap rows become errors."""
        period_ids = {p.pk for _, _, _, p in wanted}
        teacher_ids = {t for _, t, _, _ in wanted}
        held = Enrolment.objects.filter(offering__period__in=period_ids, teacher__in=teacher_ids)
        existing = set(held.values_list("teacher_id", "offering__course_id", "offering__period_id"))
        hours: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        for teacher_id, period_id, h in held.values_list(
            "teacher_id", "offering__period_id", "offering__course__credit_hours"
        ):
            hours[(teacher_id, period_id)] += h
        new, unchanged = [], 0
        for line, teacher_id, course_id, period in wanted:
            if (teacher_id, course_id, period.pk) in existing:
                unchanged += 1
                continue
            after = hours[(teacher_id, period.pk)] + course_hours[course_id]
            cap = period.project.hours_cap_per_period
            if after > cap:
                errors.append((line, f"超过每期 {hours_text(cap)} 学时的上限（本期将达 {hours_text(after)} 学时）。"))
                continue
            hours[(teacher_id, period.pk)] = after
            new.append((teacher_id, course_id, period))
        return new, unchanged

    counts: Counter[str] = Counter()
    if dry_run or not wanted:
        new, counts["unchanged"] = classify() if wanted else ([], 0)
        counts["created"] = len(new)
    else:
        with transaction.atomic():
            # The lock enrolment_choose takes: nobody chooses past the cap meanwhile.
            teacher_ids = sorted({t for _, t, _, _ in wanted})
            list(Teacher.objects.select_for_update().filter(pk__in=teacher_ids).order_by("pk").values("pk"))
            new, counts["unchanged"] = classify()
            offerings: dict[tuple[int, int], Offering] = {
                (o.period_id, o.course_id): o for o in Offering.objects.filter(period__in={p.pk for _, _, p in new})
            }
            for _, course_id, period in new:
                if (period.pk, course_id) not in offerings:
                    # get_or_create: a retake opened meanwhile may have offered the course already.
                    offering, created = Offering.objects.get_or_create(
                        period=period, course_id=course_id, defaults={"pass_rule": dict(DEFAULT_PASS_RULE)}
                    )
                    offerings[(period.pk, course_id)] = offering
                    counts["offerings_created"] += int(created)
            counts["created"] = _assigned_insert([(t, offerings[(p.pk, c)]) for t, c, p in new])
            # Rows someone enrolled between our look and our insert are there now: unchanged.
            counts["unchanged"] += len(new) - counts["created"]
            audit_record(
                action="enrolments.imported",
                actor=actor,
                actor_label="" if actor else "system",
                detail={"created": counts["created"], "file": filename},
            )
    errors.sort()
    return {
        "created": counts["created"],
        "updated": 0,
        "unchanged": counts["unchanged"],
        "errors": len(errors),
        "offerings_created": counts["offerings_created"],
        "error_rows": errors,
    }


def _assigned_insert(pairs: list[tuple[int, Offering]]) -> int:
    """Insert assigned enrolments for (teacher id, offering) pairs; returns how many were new.

    A pair enrolled meanwhile is skipped, not an IntegrityError: retakes_open takes no teacher
    locks, so a retake of the same course may land between the caller's check and this insert.
    Every other writer waits for the caller's teacher locks and retakes are never "assigned", so
    the assigned rows that appear for these pairs are exactly the ones inserted here.
    """
    if not pairs:
        return 0
    wanted = {(t, o.pk) for t, o in pairs}
    held = Enrolment.objects.filter(
        teacher_id__in={t for t, _ in pairs},
        offering_id__in={o.pk for _, o in pairs},
        source=EnrolmentSource.ASSIGNED,
    ).values_list("teacher_id", "offering_id")
    before = len(wanted & set(held.iterator(chunk_size=2000)))
    Enrolment.objects.bulk_create(
        [Enrolment(teacher_id=t, offering=o, source=EnrolmentSource.ASSIGNED) for t, o in pairs],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return len(wanted & set(held.iterator(chunk_size=2000))) - before


# --- Retakes (重修, seed 004 figure 8) -----------------------------------------------------------
def _check_retake_dates(period: Period, opens_on: dt.date, closes_on: dt.date) -> None:
    """Retakes run inside the period that reopens them ("在培训期间内将开放以往学习课程")."""
    if closes_on < opens_on:
        raise ValidationFailed("学习结束日期不能早于学习开始日期。", code="bad_retake_dates")
    if opens_on < period.starts_on or closes_on > period.ends_on:
        raise ValidationFailed(
            f"重修的学习时间应在 {period.code} 期之内（{period.starts_on:%Y-%m-%d} 至 {period.ends_on:%Y-%m-%d}）。",
            code="bad_retake_dates",
        )


def retakes_open(
    *,
    acting_user: User,
    period: Period,
    enrolment_ids: Iterable[int],
    opens_on: dt.date,
    closes_on: dt.date,
    request: HttpRequest | None = None,
) -> dict[str, int]:
    """Reopen failed courses of earlier periods in `period` (source: retake, retake_of: the original).

    Only candidates count (failed, earlier period of the same project, in scope, no pass since,
    no retake in this period yet); other ids are skipped. A teacher already in this period's
    offering of the course is reported as `already_enrolled`, never enrolled twice. Re-running
    with the same ids creates nothing.
    """
    permissions.access_period(acting_user, period.pk)
    if period.closed_at is not None:
        raise ValidationFailed(f"{period.code} 期已经结束，不能再开放重修。", code="period_over")
    _check_retake_dates(period, opens_on, closes_on)
    wanted = {int(i) for i in enrolment_ids}
    counts = {"created": 0, "already_enrolled": 0, "skipped": 0}
    try:
        with transaction.atomic():
            Period.objects.select_for_update().get(pk=period.pk)
            candidates = list(
                selectors.retake_candidates(acting_user, period)
                .filter(pk__in=wanted)
                .select_related("offering__course")
            )
            counts["skipped"] = len(wanted) - len(candidates)
            taken = set(
                Enrolment.objects.filter(offering__period=period).values_list("teacher_id", "offering__course_id")
            )
            new = []
            for original in candidates:  # most recent failure first for each teacher and course
                key = (original.teacher_id, original.offering.course_id)
                if key in taken:
                    counts["already_enrolled"] += 1
                    continue
                taken.add(key)
                offering, _ = offering_ensure(period=period, course=original.offering.course)
                new.append(
                    Enrolment(
                        teacher_id=original.teacher_id,
                        offering=offering,
                        source=EnrolmentSource.RETAKE,
                        retake_of=original,
                        opens_on=opens_on,
                        closes_on=closes_on,
                    )
                )
            Enrolment.objects.bulk_create(new, batch_size=2000)
            counts["created"] = len(new)
            if new:
                audit_record(
                    action="retakes.opened",
                    actor=acting_user,
                    request=request,
                    target=period,
                    detail={**counts, "opens_on": opens_on.isoformat(), "closes_on": closes_on.isoformat()},
                )
    except IntegrityError:
        # A teacher chose the same course at the same moment: nothing was written; a retry skips them.
        raise Conflict("有教师刚刚选了同一门课程，请重试。", code="retake_conflict") from None
    return counts


def retakes_export(
    *, acting_user: User, period: Period, filters: selectors.RetakeFilter, request: HttpRequest | None = None
) -> IO[bytes]:
    permissions.access_period(acting_user, period.pk)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the caller's response closes it
    rows = selectors.retake_export_rows(acting_user, period, filters)
    write_xlsx(handle, selectors.RETAKE_EXPORT_HEADERS, rows, title="重修课程")
    handle.seek(0)
    audit_record(
        action="retakes.exported",
        actor=acting_user,
        request=request,
        target=period,
        detail={"filters": {k: v for k, v in dataclasses.asdict(filters).items() if v}},
    )
    return handle
