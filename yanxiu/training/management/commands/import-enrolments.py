from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from yanxiu.core.commands import OperatorCommand, read_input_file
from yanxiu.training.actions import ENROLMENT_HEADERS, enrolments_import


class Command(OperatorCommand):
    help = "按文件批量选课（.xlsx 或 .csv，表头：" + "、".join(ENROLMENT_HEADERS) + "），可重复导入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    def run(self, **options: Any) -> dict[str, Any]:
        path: Path = options["file"]
        data = read_input_file(path)
        summary = enrolments_import(data, path.name, actor=None, dry_run=options["dry_run"])
        for line, message in summary.pop("error_rows"):
            self.stderr.write(f"第 {line} 行：{message}")
        if options["dry_run"]:
            summary["dry_run"] = True
        return summary
