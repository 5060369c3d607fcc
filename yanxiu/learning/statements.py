"""Learning events as xAPI-shaped statements: record (append-only) and read back.

Every login, view, play/pause/seek, completion and pass becomes one row of `Statement`.
Writers call `record()` or `record_many()` inside their own transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from yanxiu.learning.models import Statement

# Verbs, by their short names; the xAPI IRIs are added on export.
LOGGED_IN = "logged-in"
VIEWED = "viewed"
PLAYED = "played"
PAUSED = "paused"
SEEKED = "seeked"
COMPLETED = "completed"
PASSED = "passed"
ANSWERED = "answered"
VERBS = (LOGGED_IN, VIEWED, PLAYED, PAUSED, SEEKED, COMPLETED, PASSED, ANSWERED)


@dataclass
class StatementRow:
    actor_id: int
    verb: str
    object_type: str  # "activity", "course", "enrolment", "platform"
    object_id: int
    result: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    timestamp: dt.datetime | None = None
    uuid: uuid_module.UUID = field(default_factory=uuid_module.uuid4)


def record_many(rows: list[StatementRow]) -> None:
    if not rows:
        return
    now = timezone.now()
    Statement.objects.bulk_create(
        [
            Statement(
                uuid=row.uuid,
                actor_id=row.actor_id,
                verb=row.verb,
                object_type=row.object_type,
                object_id=row.object_id,
                result=row.result,
                context=row.context,
                timestamp=row.timestamp or now,
                stored=now,
            )
            for row in rows
        ]
    )


def record(
    *,
    actor_id: int,
    verb: str,
    object_type: str,
    object_id: int,
    result: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    timestamp: dt.datetime | None = None,
) -> None:
    record_many([StatementRow(actor_id, verb, object_type, object_id, result, context, timestamp)])
