from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from yanxiu.core.commands import OperatorCommand
from yanxiu.core.errors import ValidationFailed
from yanxiu.learning.statements import VERBS, statement_to_xapi, statements_filter, verb_from_param

CHUNK = 2000


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"日期格式应为 YYYY-MM-DD：{value}", code="bad_date") from None


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class Command(OperatorCommand):
    help = (
        "把学习事件导出为 xAPI 1.0.3 语句的 JSON Lines 文件（每行一条，按 id 顺序，内存占用恒定）。"
        "按存储日期筛选：--since 当天起，--until 当天止（含），日期按平台时区。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", required=True, help="起始日期 YYYY-MM-DD（含）")
        parser.add_argument("--until", help="结束日期 YYYY-MM-DD（含）")
        parser.add_argument("--actor", type=int, help="只导出此用户 id 的事件")
        parser.add_argument("--verb", help=f"只导出此动词：{'、'.join(VERBS)}，或其 xAPI IRI")
        parser.add_argument("--output", required=True, type=Path, help="输出文件 FILE.jsonl")

    def run(self, **options: Any) -> dict[str, Any]:
        since = _start_of(_day(options["since"]))
        until = _start_of(_day(options["until"]) + dt.timedelta(days=1)) if options["until"] else None
        verb = None
        if options["verb"]:
            verb = verb_from_param(options["verb"])
            if verb is None:
                raise ValidationFailed(f"未知的动词：{options['verb']}", code="unknown_verb")
        output: Path = options["output"]
        rows = statements_filter(since=since, until=until, actor_id=options["actor"], verb=verb)
        # Written beside the target and renamed at the end: a failed export leaves no half file.
        partial = output.with_name(output.name + ".partial")
        count = 0
        try:
            with partial.open("w", encoding="utf-8") as out:
                for statement in rows.iterator(chunk_size=CHUNK):
                    out.write(json.dumps(statement_to_xapi(statement), ensure_ascii=False, separators=(",", ":")))
                    out.write("\n")
                    count += 1
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ValidationFailed(f"无法写入文件 {output}：{exc.strerror}", code="file_unwritable") from None
        os.replace(partial, output)
        return {"exported": count, "output": str(output), "errors": 0}
