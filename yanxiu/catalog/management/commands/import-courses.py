from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from yanxiu.catalog import course_import
from yanxiu.core.commands import OperatorCommand, read_input_file


class Command(OperatorCommand):
    help = (
        "导入课程（.xlsx 或 .csv，表头：" + "、".join(course_import.HEADERS) + "）。按课程编号新增或更新；"
        "学段、学科可用“、”分隔多个，或填“全学段”“全学科”。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    def run(self, **options: Any) -> dict[str, Any]:
        path: Path = options["file"]
        data = read_input_file(path)
        plan = course_import.courses_check(data, path.name)
        for line, code, message in plan.errors:
            self.stderr.write(f"第 {line} 行（{code or '无课程编号'}）：{message}")
        if options["dry_run"]:
            return {"rows": plan.total, "valid": len(plan.rows), "errors": len(plan.errors), "dry_run": True}
        return course_import.courses_apply(plan, actor=None)
