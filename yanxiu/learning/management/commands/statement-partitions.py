from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from yanxiu.core.commands import OperatorCommand
from yanxiu.learning.statements import statement_partitions_ensure


class Command(OperatorCommand):
    help = (
        "为学习事件表（PostgreSQL）创建本月起若干个月的按月分区，已存在的跳过；报告落入默认分区的行。"
        "SQLite 上什么也不做。建议与 prune 一起每小时运行。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=12, help="本月之后再建几个月的分区（默认 12）")

    def run(self, **options: Any) -> dict[str, Any]:
        summary = statement_partitions_ensure(months=max(0, options["months"]))
        if summary["default_rows"]:
            self.stderr.write(
                f"默认分区中有 {summary['default_rows']} 行学习事件（按月：{summary['default_months']}），"
                "请按 docs/operations.md 的说明为这些月份建分区并迁移。"
            )
        # A month that cannot get its partition is a failure the operator must see (exit 1).
        return {**summary, "errors": len(summary["blocked"])}
