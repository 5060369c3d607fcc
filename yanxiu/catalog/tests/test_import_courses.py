"""`yanxiu import-courses`: create or update by 课程编号, several stages and subjects, bad rows."""

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yanxiu.catalog import course_import
from yanxiu.catalog.models import Course
from yanxiu.core.errors import ValidationFailed
from yanxiu.org.tests.roster_files import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
HEADERS = course_import.HEADERS


def run(path: Path, *extra: str) -> dict:
    out = StringIO()
    call_command("import-courses", str(path), *extra, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_import_creates_then_updates_then_changes_nothing(regions, tmp_path: Path) -> None:
    path = tmp_path / "courses.xlsx"
    path.write_bytes(
        xlsx_bytes(
            [
                ["1602113140000", "技术支持的幼儿园课堂教学", "专业必修", 18, "幼儿园", "幼教", "张老师"],
                ["1602113210000", "数字教育城支持下的教师专业发展", "通识必修", "8", "全学段", "全学科", ""],
                [
                    "1602133140005",
                    "校本研修活动的设计",
                    "任意选修课",
                    "10.5",
                    "小学、初中",
                    "语文、数学、通用技术",
                    "李老师",
                ],
            ],
            headers=HEADERS,
        )
    )
    assert run(path) == {"created": 3, "updated": 0, "unchanged": 0, "errors": 0}
    course = Course.objects.get(code="1602133140005")
    assert course.credit_hours == Decimal("10.5") and course.category == "elective"
    assert sorted(s.name for s in course.stages.all()) == ["初中", "小学"]
    assert sorted(s.name for s in course.subjects.all()) == ["信息技术", "数学", "语文"]
    general = Course.objects.get(code="1602113210000")
    assert general.all_stages and general.all_subjects and not general.stages.exists()
    assert run(path) == {"created": 0, "updated": 0, "unchanged": 3, "errors": 0}
    path.write_bytes(
        xlsx_bytes(
            [["1602113140000", "技术支持的幼儿园课堂教学（修订）", "专业必修", 18, "幼儿园", "幼教", "张老师"]],
            headers=HEADERS,
        )
    )
    assert run(path) == {"created": 0, "updated": 1, "unchanged": 0, "errors": 0}
    assert Course.objects.get(code="1602113140000").title.endswith("（修订）")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (["", "无编号", "通识必修", "8", "", "", ""], "课程编号不能为空"),
        (["X1", "", "通识必修", "8", "", "", ""], "课程名称不能为空"),
        (["X1", "名称", "必修", "8", "", "", ""], "课程类别“必修”无效"),
        (["X1", "名称", "通识必修", "-1", "", "", ""], "学时“-1”无效"),
        (["X1", "名称", "通识必修", "abc", "", "", ""], "学时“abc”无效"),
        (["X1", "名称", "通识必修", "8.25", "", "", ""], "学时“8.25”无效"),
        (["X1", "名称", "通识必修", "NaN", "", "", ""], "学时“NaN”无效"),
        (["X1", "名称", "通识必修", "8", "大学", "", ""], "学段“大学”无效"),
        (["X1", "名称", "通识必修", "8", "", "炼金术", ""], "学科“炼金术”不在学科表中"),
    ],
)
def test_bad_rows_are_reported_and_skipped(regions, row, reason) -> None:
    plan = course_import.courses_check(
        csv_bytes([["OK1", "好课", "公需课", "3", "", "", ""], row], headers=HEADERS), "c.csv"
    )
    assert [r.code for r in plan.rows] == ["OK1"]
    assert len(plan.errors) == 1 and plan.errors[0][0] == 3 and reason in plan.errors[0][2]


def test_duplicate_code_in_file(regions) -> None:
    plan = course_import.courses_check(
        csv_bytes([["A", "甲", "公需课", "3", "", "", ""], ["A", "乙", "公需课", "3", "", "", ""]], headers=HEADERS),
        "c.csv",
    )
    assert plan.errors == [(3, "A", "课程编号与第 2 行重复。")]


def test_bad_files(regions, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed):
        course_import.courses_check(b"", "c.csv")
    with pytest.raises(ValidationFailed) as caught:
        course_import.courses_check("编号,名称\n1,2\n".encode(), "c.csv")
    assert "表头缺少：课程编号、课程名称、课程类别、学时" in caught.value.message
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes([["A", "甲", "公需课", "x", "", "", ""]], headers=HEADERS))
    with pytest.raises(CommandError):
        run(path)
    assert not Course.objects.exists()


def test_dry_run_writes_nothing(regions, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes([["A", "甲", "公需课", "3", "", "", ""]], headers=HEADERS))
    assert run(path, "--dry-run") == {"rows": 1, "valid": 1, "errors": 0, "dry_run": True}
    assert not Course.objects.exists()
