"""`yanxiu import-courses`: course records from .csv or .xlsx, created or updated by 课程编号.

Headers: 课程编号, 课程名称, 课程类别, 学时, 学段, 学科, 主讲人. 学段 and 学科 may name several,
separated by 、, or be 全学段 / 全学科. Every bad row is reported with its reason; valid rows are
written in one transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from yanxiu.accounts.models import User
from yanxiu.catalog.models import CATEGORY_BY_LABEL_ZH, Course, CourseStatus
from yanxiu.core.audit import audit_record
from yanxiu.core.spreadsheets import no_data_rows, read_table
from yanxiu.org.models import Stage, Subject

HEADERS = ("课程编号", "课程名称", "课程类别", "学时", "学段", "学科", "主讲人")
REQUIRED_HEADERS = ("课程编号", "课程名称", "课程类别", "学时")
ALL_STAGES, ALL_SUBJECTS = "全学段", "全学科"
MAX_HOURS = Decimal("200")


@dataclass
class CourseRow:
    line: int
    code: str
    title: str
    category: str
    credit_hours: Decimal
    all_stages: bool
    stage_ids: list[int]
    all_subjects: bool
    subject_ids: list[int]
    speaker: str


@dataclass
class CoursePlan:
    rows: list[CourseRow] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    total: int = 0


def _names(cell: str) -> list[str]:
    return [part.strip() for part in cell.replace("､", "、").split("、") if part.strip()]


def courses_check(data: bytes, filename: str) -> CoursePlan:
    rows = read_table(data, filename, headers=HEADERS, required=REQUIRED_HEADERS)
    stages = {name: pk for pk, name in Stage.objects.values_list("id", "name")}
    subjects: dict[str, int] = {}
    for pk, name, aliases in Subject.objects.values_list("id", "name", "aliases"):
        subjects[name] = pk
        for alias in aliases or []:
            subjects.setdefault(alias, pk)
    plan = CoursePlan()
    seen: dict[str, int] = {}
    for cell in rows:
        line = cell.line
        plan.total += 1

        problems: list[str] = []
        code = cell["课程编号"]
        if not code:
            problems.append("课程编号不能为空。")
        elif len(code) > 32:
            problems.append("课程编号不能超过 32 位。")
        elif code in seen:
            problems.append(f"课程编号与第 {seen[code]} 行重复。")
        else:
            seen[code] = line
        title = cell["课程名称"]
        if not title:
            problems.append("课程名称不能为空。")
        elif len(title) > 200:
            problems.append("课程名称不能超过 200 个字。")
        category_cell, hours_cell = cell["课程类别"], cell["学时"]
        # 通识必修课 and 通识必修 are the same category; 公需课 is the category's whole name.
        category = CATEGORY_BY_LABEL_ZH.get(cell["课程类别"]) or CATEGORY_BY_LABEL_ZH.get(
            cell["课程类别"].removesuffix("课")
        )
        if category is None:
            problems.append(f"课程类别“{category_cell}”无效，可填：{'、'.join(CATEGORY_BY_LABEL_ZH)}。")
        hours = Decimal(0)
        try:
            hours = Decimal(cell["学时"])
            if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS or hours != hours.quantize(Decimal("0.1")):
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f"学时“{hours_cell}”无效：应为大于 0、不超过 {MAX_HOURS} 的数，最多一位小数。")
        stage_cell, subject_cell = cell["学段"], cell["学科"]
        all_stages = stage_cell == ALL_STAGES
        stage_ids: list[int] = []
        if not all_stages:
            for name in _names(stage_cell):
                if name in stages:
                    stage_ids.append(stages[name])
                else:
                    problems.append(f"学段“{name}”无效。")
        all_subjects = subject_cell == ALL_SUBJECTS
        subject_ids: list[int] = []
        if not all_subjects:
            for name in _names(subject_cell):
                if name in subjects:
                    subject_ids.append(subjects[name])
                else:
                    problems.append(f"学科“{name}”不在学科表中。")
        speaker = cell["主讲人"]
        if len(speaker) > 100:
            problems.append("主讲人不能超过 100 个字。")
        if problems:
            plan.errors.append((line, code, " ".join(problems)))
            continue
        assert category is not None
        plan.rows.append(
            CourseRow(
                line,
                code,
                title,
                category,
                hours,
                all_stages,
                sorted(set(stage_ids)),
                all_subjects,
                sorted(set(subject_ids)),
                speaker,
            )
        )
    if plan.total == 0:
        raise no_data_rows()
    return plan


def courses_apply(plan: CoursePlan, *, actor: User | None) -> dict[str, int]:
    """Create or update the valid rows in one transaction; unchanged rows are left alone."""
    existing = {
        c.code: c
        for c in Course.objects.filter(code__in=[r.code for r in plan.rows]).prefetch_related("stages", "subjects")
    }
    counts: Counter[str] = Counter()
    with transaction.atomic():
        for row in plan.rows:
            course = existing.get(row.code)
            wanted = (row.title, row.category, row.credit_hours, row.all_stages, row.all_subjects, row.speaker)
            if course is None:
                course = Course.objects.create(
                    code=row.code,
                    title=row.title,
                    category=row.category,
                    credit_hours=row.credit_hours,
                    all_stages=row.all_stages,
                    all_subjects=row.all_subjects,
                    speaker=row.speaker,
                    status=CourseStatus.DRAFT,
                    created_by=actor,
                )
                course.stages.set(row.stage_ids)
                course.subjects.set(row.subject_ids)
                counts["created"] += 1
                audit_record(
                    action="course.imported",
                    actor=actor,
                    actor_label="" if actor else "system",
                    target=course,
                    detail={"change": "new"},
                )
                continue
            current = (
                course.title,
                course.category,
                course.credit_hours,
                course.all_stages,
                course.all_subjects,
                course.speaker,
            )
            stage_ids = sorted(s.pk for s in course.stages.all())
            subject_ids = sorted(s.pk for s in course.subjects.all())
            if current == wanted and stage_ids == row.stage_ids and subject_ids == row.subject_ids:
                counts["unchanged"] += 1
                continue
            (
                course.title,
                course.category,
                course.credit_hours,
                course.all_stages,
                course.all_subjects,
                course.speaker,
            ) = wanted
            course.save()
            course.stages.set(row.stage_ids)
            course.subjects.set(row.subject_ids)
            counts["updated"] += 1
            audit_record(
                action="course.imported",
                actor=actor,
                actor_label="" if actor else "system",
                target=course,
                detail={"change": "updated"},
            )
    return {
        "created": counts["created"],
        "updated": counts["updated"],
        "unchanged": counts["unchanged"],
        "errors": len(plan.errors),
    }
