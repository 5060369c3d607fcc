from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from yanxiu.core.commands import OperatorCommand, read_input_file
from yanxiu.org import roster
from yanxiu.org.permissions import AdminScope


class Command(OperatorCommand):
    help = (
        "导入教师名册（.xlsx 或 .csv，表头：" + "、".join(roster.HEADERS) + "）。"
        "按教师编号新增或更新；有问题的行逐行报告，其余行在一个事务中写入。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--create-schools", action="store_true", help="自动新建名册中不存在的学校")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    def run(self, **options: Any) -> dict[str, Any]:
        path: Path = options["file"]
        data = read_input_file(path)
        # An operator at the console acts for the whole platform.
        scope = AdminScope(everything=True, personal_everything=True)
        plan = roster.roster_check(data, path.name, scope=scope, create_schools=options["create_schools"])
        for error in plan.errors:
            self.stderr.write(f"第 {error.line} 行（{error.teacher_no or '无教师编号'}）：{error.message}")
        counts = plan.counts
        if options["dry_run"]:
            return {
                "created": counts["new"],
                "updated": counts["changed"],
                "unchanged": counts["unchanged"],
                "errors": plan.error_count,
                "schools_created": counts["new_schools"],
                "dry_run": True,
            }
        return roster.roster_apply(plan, actor=None, import_label=f"command:{path.name}")
