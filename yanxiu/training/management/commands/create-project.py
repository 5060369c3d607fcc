from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from yanxiu.core.commands import OperatorCommand
from yanxiu.core.errors import ValidationFailed
from yanxiu.org.models import Region
from yanxiu.training.actions import project_create


class Command(OperatorCommand):
    help = "新建培训项目：--code 代码 --name 名称 --organiser 主办区域代码 --scheme 达标方案.json"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--organiser", required=True, help="主办单位的 6 位行政区划代码")
        parser.add_argument(
            "--scheme",
            required=True,
            type=Path,
            help='JSON：{"total_hours": 50, "categories": {"通识必修": 8, ...}, "practice_share": 0.5}',
        )

    def run(self, **options: Any) -> dict[str, Any]:
        try:
            scheme = json.loads(options["scheme"].read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValidationFailed(f"无法读取达标方案文件：{exc.strerror}", code="file_unreadable") from None
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"达标方案不是有效的 JSON（第 {exc.lineno} 行）。", code="bad_scheme") from None
        organiser = Region.objects.filter(pk=options["organiser"]).first()
        if organiser is None:
            raise ValidationFailed(f"找不到区域代码 {options['organiser']}。", code="bad_region")
        project = project_create(
            acting_user=None, code=options["code"], name=options["name"], organiser=organiser, scheme=scheme
        )
        return {"created": 1, "project": project.code, "errors": 0}
