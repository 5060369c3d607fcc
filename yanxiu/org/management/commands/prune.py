from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import CommandParser

from yanxiu.accounts.lockout import failures_prune
from yanxiu.core.commands import OperatorCommand
from yanxiu.org.actions import roster_imports_prune


class Command(OperatorCommand):
    help = "清理过期数据：锁定窗口之外的登录失败记录、未确认的名册上传及其文件。建议每小时运行一次。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--roster-hours", type=int, default=24, help="名册上传与问题行报告保留的小时数")

    def run(self, **options: Any) -> dict[str, Any]:
        summary = roster_imports_prune(older_than=timedelta(hours=options["roster_hours"]))
        return {"login_failures_removed": failures_prune(), **summary, "errors": 0}
