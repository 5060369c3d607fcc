"""Roster import: a file of teachers is checked row by row, previewed, and written only on request.

`roster_check` reads and validates a whole file without writing anything and returns a plan:
the valid rows (each marked new, changed or unchanged) and every bad row with its reason in
Chinese. `roster_apply` writes a plan's valid rows in one transaction (all or nothing), updating
existing teachers by 教师编号. Both are used by the admin pages, the background task and the
`yanxiu import-teachers` command.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from yanxiu.accounts.models import User
from yanxiu.core.audit import audit_record, audit_record_many
from yanxiu.core.bulk import bulk_insert
from yanxiu.core.errors import ValidationFailed
from yanxiu.core.models import AuditEvent
from yanxiu.core.spreadsheets import no_data_rows, read_table, write_xlsx
from yanxiu.org import validators
from yanxiu.org.models import (
    EMPLOYMENT_STATUS_ZH,
    EmploymentStatus,
    Region,
    RegionLevel,
    School,
    Stage,
    Subject,
    Teacher,
)
from yanxiu.org.permissions import AdminScope

HEADERS = ("教师编号", "姓名", "手机号", "身份证号", "区域", "学校", "学段", "学科", "在职状态")
REQUIRED_HEADERS = ("教师编号", "姓名", "区域", "学校")
STATUS_BY_LABEL = {label: value for value, label in EMPLOYMENT_STATUS_ZH.items()} | {
    "在岗": EmploymentStatus.ACTIVE,
    "调出": EmploymentStatus.TRANSFERRED,
    "离岗": EmploymentStatus.LEFT,
}
CITY_DIRECT_LABELS = ("局属学校", "局属", "市直属")
# Bad rows shown on the preview page; all of them are in the downloadable error report.
PREVIEW_ERRORS = 1000
ERROR_REPORT_HEADERS = ("行号", "教师编号", "原因")
PROGRESS_EVERY = 5000

Progress = Callable[[int], None]


@dataclass
class RosterRow:
    line: int
    teacher_no: str
    real_name: str
    mobile: str | None
    id_number: str | None
    region_code: str
    school_name: str
    stage_id: int | None
    subject_id: int | None
    status: str
    school_id: int | None = None  # None until a school to be created exists
    existing_id: int | None = None  # the Teacher's id when the 教师编号 is known
    change: str = "new"  # new | changed | unchanged


@dataclass
class RowError:
    line: int
    teacher_no: str
    message: str


@dataclass
class RosterPlan:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    total: int = 0
    new_schools: set[tuple[str, str]] = field(default_factory=set)

    def add_error(self, line: int, teacher_no: str, message: str) -> None:
        self.error_count += 1
        self.errors.append(RowError(line, teacher_no, message))

    @property
    def counts(self) -> dict[str, int]:
        kinds = Counter(row.change for row in self.rows)
        return {
            "rows": self.total,
            "valid": len(self.rows),
            "new": kinds["new"],
            "changed": kinds["changed"],
            "unchanged": kinds["unchanged"],
            "errors": self.error_count,
            "new_schools": len(self.new_schools),
        }


class _Lookups:
    """Everything validation needs, loaded once per file (a handful of queries, not one per row)."""

    def __init__(self, scope: AdminScope):
        self.scope = scope
        regions = list(Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.CITY]))
        self.regions_by_code = {r.code: r for r in regions}
        by_name: dict[str, list[Region]] = {}
        for region in regions:
            if self.region_in_scope(region.code):
                by_name.setdefault(region.name, []).append(region)
        self.regions_by_name = by_name
        self.cities_in_scope = [r for r in regions if r.level == RegionLevel.CITY and self.region_in_scope(r.code)]
        self.schools: dict[tuple[str, str], tuple[int, bool]] = {
            (region_id, name): (pk, self.school_in_scope(pk, region_id))
            for pk, region_id, name in School.objects.values_list("id", "region_id", "name")
        }
        self.stages = {name: pk for pk, name in Stage.objects.values_list("id", "name")}
        self.subjects: dict[str, int] = {}
        for pk, name, aliases in Subject.objects.values_list("id", "name", "aliases"):
            self.subjects[name] = pk
            for alias in aliases or []:
                self.subjects.setdefault(alias, pk)
        self.teachers: dict[str, tuple[Any, ...]] = {
            row[0]: row[1:]
            for row in Teacher.objects.values_list(
                "teacher_no",
                "id",
                "school_id",
                "school__region_id",
                "stage_id",
                "subject_id",
                "status",
                "id_number",
                "user__real_name",
                "user__mobile",
            )
        }
        self.mobile_owner = dict(User.objects.filter(mobile__isnull=False).values_list("mobile", "username"))
        self.id_number_owner = dict(
            Teacher.objects.filter(id_number__isnull=False).values_list("id_number", "teacher_no")
        )
        self.usernames = {u.lower() for u in User.objects.values_list("username", flat=True)}

    def region_in_scope(self, code: str) -> bool:
        if self.scope.everything:
            return True
        return any(code == p if len(p) == 6 else code.startswith(p) for p in self.scope.region_prefixes)

    def school_in_scope(self, school_id: int, region_id: str) -> bool:
        return self.scope.everything or school_id in self.scope.school_ids or self.region_in_scope(region_id)

    def region(self, value: str) -> Region | str:
        """The region a cell names (code, name or 局属学校), or the reason it names none."""
        if value.isdigit() and len(value) == 6:
            region = self.regions_by_code.get(value)
            if region is None:
                return f"区域代码 {value} 不是区县或地级市的行政区划代码。"
            return region
        if value in CITY_DIRECT_LABELS:
            if len(self.cities_in_scope) == 1:
                return self.cities_in_scope[0]
            return "“局属学校”对应多个市，请填写市的 6 位行政区划代码。"
        matches = self.regions_by_name.get(value, [])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            return f"区域名称“{value}”不唯一，请填写 6 位行政区划代码。"
        return f"找不到区域“{value}”，或不在您的管辖范围内。"


def roster_check(
    data: bytes, filename: str, *, scope: AdminScope, create_schools: bool = False, progress: Progress | None = None
) -> RosterPlan:
    """Validate a roster file against the database and the importer's scope. Writes nothing."""
    if len(data) > settings.ROSTER_MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            f"文件太大（上限 {settings.ROSTER_MAX_UPLOAD_BYTES // (1024 * 1024)} MB）。", code="file_too_large"
        )
    rows = read_table(data, filename, headers=HEADERS, required=REQUIRED_HEADERS)
    lookups = _Lookups(scope)
    plan = RosterPlan()
    seen_numbers: dict[str, int] = {}
    seen_mobiles: dict[str, int] = {}
    seen_ids: dict[str, int] = {}

    for cell in rows:
        line = cell.line
        plan.total += 1
        if plan.total > settings.ROSTER_MAX_ROWS:
            raise ValidationFailed(f"文件超过 {settings.ROSTER_MAX_ROWS} 行，请分批导入。", code="too_many_rows")
        if progress and plan.total % PROGRESS_EVERY == 0:
            progress(plan.total)

        teacher_no = cell["教师编号"]
        problems: list[str] = []
        if not teacher_no:
            problems.append("教师编号不能为空。")
        elif error := validators.teacher_no_error(teacher_no):
            problems.append(error)
        elif teacher_no.lower() in seen_numbers:
            # Login names are unique whatever their case, so T001 and t001 are the same account.
            problems.append(f"教师编号与第 {seen_numbers[teacher_no.lower()]} 行重复。")
        else:
            seen_numbers[teacher_no.lower()] = line
        real_name = cell["姓名"]
        if not real_name:
            problems.append("姓名不能为空。")
        elif len(real_name) > 64:
            problems.append("姓名不能超过 64 个字。")
        mobile = cell["手机号"] or None
        if mobile:
            if error := validators.mobile_error(mobile):
                problems.append(error)
            elif mobile in seen_mobiles:
                problems.append(f"手机号与第 {seen_mobiles[mobile]} 行重复。")
            elif lookups.mobile_owner.get(mobile, teacher_no) != teacher_no:
                problems.append("手机号已被其他账号使用。")
            else:
                seen_mobiles[mobile] = line
        id_number = validators.normalise_id_number(cell["身份证号"]) or None
        if id_number:
            if error := validators.id_number_error(id_number):
                problems.append(error)
            elif id_number in seen_ids:
                problems.append(f"身份证号与第 {seen_ids[id_number]} 行重复。")
            elif lookups.id_number_owner.get(id_number, teacher_no) != teacher_no:
                problems.append("身份证号已被其他教师使用。")
            else:
                seen_ids[id_number] = line
        region: Region | None = None
        region_cell = cell["区域"]
        if not region_cell:
            problems.append("区域不能为空。")
        else:
            found = lookups.region(region_cell)
            if isinstance(found, str):
                problems.append(found)
            elif not lookups.region_in_scope(found.code) and not (
                # A school admin imports into their own school, named with its district.
                (found.code, cell["学校"]) in lookups.schools and lookups.schools[(found.code, cell["学校"])][1]
            ):
                problems.append(f"区域“{found.name}”不在您的管辖范围内。")
            else:
                region = found
        school_name = cell["学校"]
        school_id: int | None = None
        if not school_name:
            problems.append("学校不能为空。")
        elif region is not None:
            known = lookups.schools.get((region.code, school_name))
            if known is not None:
                if not known[1]:
                    problems.append(f"学校“{school_name}”不在您的管辖范围内。")
                school_id = known[0]
            elif not create_schools:
                problems.append(f"{region.name}没有名为“{school_name}”的学校（可选择自动新建学校）。")
            elif not (scope.everything or scope.region_prefixes):
                problems.append(f"{region.name}没有名为“{school_name}”的学校，学校管理员不能新建学校。")
            elif len(school_name) > 100:
                problems.append("学校名称不能超过 100 个字。")
        stage_name = cell["学段"]
        stage_id = lookups.stages.get(stage_name) if stage_name else None
        if stage_name and stage_id is None:
            problems.append(f"学段“{stage_name}”无效，可填：{'、'.join(lookups.stages)}。")
        subject_name = cell["学科"]
        subject_id = lookups.subjects.get(subject_name) if subject_name else None
        if subject_name and subject_id is None:
            problems.append(f"学科“{subject_name}”不在学科表中。")
        status_cell = cell["在职状态"]
        status = STATUS_BY_LABEL.get(status_cell) if status_cell else EmploymentStatus.ACTIVE
        if status is None:
            problems.append(f"在职状态“{status_cell}”无效，可填：在职、休假、调离、退休、离职。")

        existing = lookups.teachers.get(teacher_no) if teacher_no else None
        if existing is not None and not lookups.school_in_scope(existing[1], existing[2]):
            problems.append("该教师编号属于您管辖范围之外的教师，不能修改。")
        elif existing is None and teacher_no and teacher_no.lower() in lookups.usernames:
            problems.append("该教师编号已被其他账号用作登录名。")

        if problems:
            plan.add_error(line, teacher_no, " ".join(problems))
            continue
        assert region is not None and status is not None
        row = RosterRow(
            line=line,
            teacher_no=teacher_no,
            real_name=real_name,
            mobile=mobile,
            id_number=id_number,
            region_code=region.code,
            school_name=school_name,
            stage_id=stage_id,
            subject_id=subject_id,
            status=status,
            school_id=school_id,
        )
        if school_id is None:
            plan.new_schools.add((region.code, school_name))
        if existing is not None:
            row.existing_id = existing[0]
            current = (existing[1], existing[3], existing[4], existing[5], existing[6], existing[7], existing[8])
            wanted = (school_id, stage_id, subject_id, status, id_number, real_name, mobile)
            row.change = "unchanged" if current == wanted else "changed"
        plan.rows.append(row)
    if plan.total == 0:
        raise no_data_rows()
    return plan


def error_report_write(plan: RosterPlan, target: Path) -> None:
    """Every bad row with its reason, as .xlsx, for the administrator to fix and re-upload."""
    write_xlsx(
        target, ERROR_REPORT_HEADERS, ([e.line, e.teacher_no, e.message] for e in plan.errors), title="有问题的行"
    )


def roster_apply(
    plan: RosterPlan, *, actor: User | None, import_label: str, progress: Progress | None = None
) -> dict[str, int]:
    """Write the plan's valid rows in one transaction: all of them, or none if anything fails."""
    to_create = [r for r in plan.rows if r.change == "new"]
    to_update = [r for r in plan.rows if r.change == "changed"]
    actor_label = actor.username if actor else "system"
    actor_id = actor.pk if actor else None
    done = 0
    try:
        with transaction.atomic():
            if plan.new_schools:
                School.objects.bulk_create(
                    [School(region_id=code, name=name) for code, name in sorted(plan.new_schools)],
                    batch_size=1000,
                )
                created_schools = {
                    (s.region_id, s.name): s.pk
                    for s in School.objects.filter(name__in={n for _, n in plan.new_schools})
                }
                for row in plan.rows:
                    if row.school_id is None:
                        row.school_id = created_schools[(row.region_code, row.school_name)]
            events: list[AuditEvent] = []
            for start in range(0, len(to_create), PROGRESS_EVERY):
                chunk = to_create[start : start + PROGRESS_EVERY]
                _insert_new_teachers(chunk, actor_id=actor_id, actor_label=actor_label, import_label=import_label)
                done += len(chunk)
                if progress:
                    progress(done)
            if to_update:
                ids = [r.existing_id for r in to_update]
                teachers_by_id = Teacher.objects.select_related("user").in_bulk(ids)
                changed_teachers: list[Teacher] = []
                changed_users: list[User] = []
                for row in to_update:
                    assert row.existing_id is not None
                    teacher = teachers_by_id[row.existing_id]
                    teacher.school_id = row.school_id  # type: ignore[assignment]
                    teacher.stage_id, teacher.subject_id = row.stage_id, row.subject_id
                    teacher.status, teacher.id_number = row.status, row.id_number
                    teacher.user.real_name, teacher.user.mobile = row.real_name, row.mobile
                    changed_teachers.append(teacher)
                    changed_users.append(teacher.user)
                    events.append(
                        AuditEvent(
                            actor_id=actor_id,
                            actor_label=actor_label,
                            action="teacher.imported",
                            target_type="org.teacher",
                            target_id=str(teacher.pk),
                            detail={"import": import_label, "change": "updated"},
                        )
                    )
                User.objects.bulk_update(changed_users, ["real_name", "mobile"], batch_size=2000)
                Teacher.objects.bulk_update(
                    changed_teachers, ["school", "stage", "subject", "status", "id_number"], batch_size=2000
                )
                done += len(to_update)
                if progress:
                    progress(done)
            audit_record_many(events)
            summary = {
                "created": len(to_create),
                "updated": len(to_update),
                "unchanged": sum(1 for r in plan.rows if r.change == "unchanged"),
                "errors": plan.error_count,
                "schools_created": len(plan.new_schools),
            }
            audit_record(
                action="roster.imported",
                actor=actor,
                actor_label=actor_label,
                detail={"import": import_label, **summary},
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            "导入时发现数据冲突（可能有人同时修改了教师信息），没有写入任何数据，请重新上传预览。",
            code="import_conflict",
        ) from exc
    return summary


def _insert_new_teachers(rows: list[RosterRow], *, actor_id: int | None, actor_label: str, import_label: str) -> None:
    """Accounts, teachers and one audit event each for a chunk of new rows, as plain tuples."""
    numbers = [r.teacher_no for r in rows]
    bulk_insert(
        User,
        ("username", "real_name", "mobile", "password"),
        ((r.teacher_no, r.real_name, r.mobile, "!" + secrets.token_hex(8)) for r in rows),
        fixed={"must_change_password": True},
    )
    user_ids = dict(User.objects.filter(username__in=numbers).values_list("username", "id"))
    bulk_insert(
        Teacher,
        ("user_id", "teacher_no", "id_number", "school_id", "stage_id", "subject_id", "status"),
        (
            (user_ids[r.teacher_no], r.teacher_no, r.id_number, r.school_id, r.stage_id, r.subject_id, r.status)
            for r in rows
        ),
    )
    teacher_ids = Teacher.objects.filter(teacher_no__in=numbers).values_list("id", flat=True)
    bulk_insert(
        AuditEvent,
        ("target_id",),
        ((str(pk),) for pk in teacher_ids),
        fixed={
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": "teacher.imported",
            "target_type": "org.teacher",
            "detail": {"import": import_label, "change": "new"},
        },
    )
