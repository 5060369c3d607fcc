from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandParser

from yanxiu.core.commands import OperatorCommand
from yanxiu.core.errors import ValidationFailed
from yanxiu.training.actions import period_create
from yanxiu.training.models import Project


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"日期“{value}”无效，应为 YYYY-MM-DD。", code="bad_date") from None


class Command(OperatorCommand):
    help = "新建期次：--project 项目代码 --code 1602 --start 2016-10-10 --end 2016-12-10"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True)
        parser.add_argument("--code", required=True)
        parser.add_argument("--start", required=True)
        parser.add_argument("--end", required=True)

    def run(self, **options: Any) -> dict[str, Any]:
        project = Project.objects.filter(code=options["project"]).first()
        if project is None:
            raise ValidationFailed(f"找不到项目代码“{options['project']}”。", code="bad_project")
        period = period_create(
            acting_user=None,
            project=project,
            code=options["code"],
            starts_on=_date(options["start"]),
            ends_on=_date(options["end"]),
        )
        return {"created": 1, "project": project.code, "period": period.code, "errors": 0}
