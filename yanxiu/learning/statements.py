"""Learning events as xAPI-shaped statements: record (append-only), keep partitions ahead, read
back and export as xAPI 1.0.3 (docs/decisions/0012-learning-statement-store.md).

Logins, views, play/pause/seek, completions, passes and answers become one row of `Statement`
each; heartbeat ticks do not (they update progress rows). Writers call `record()` or
`record_many()` inside their own transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from yanxiu.core.bulk import bulk_insert
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

# Standard verb IRIs: ADL's for completed/passed/answered and logged-in, the xAPI video profile's
# for the player, the xAPI registry's `viewed` (ADL has none for a page or document being read).
VERB_IRIS = {
    LOGGED_IN: "https://w3id.org/xapi/adl/verbs/logged-in",
    VIEWED: "http://id.tincanapi.com/verb/viewed",
    PLAYED: "https://w3id.org/xapi/video/verbs/played",
    PAUSED: "https://w3id.org/xapi/video/verbs/paused",
    SEEKED: "https://w3id.org/xapi/video/verbs/seeked",
    COMPLETED: "http://adlnet.gov/expapi/verbs/completed",
    PASSED: "http://adlnet.gov/expapi/verbs/passed",
    ANSWERED: "http://adlnet.gov/expapi/verbs/answered",
}
VERB_DISPLAY = {
    LOGGED_IN: ("登录", "logged in"),
    VIEWED: ("查看", "viewed"),
    PLAYED: ("播放", "played"),
    PAUSED: ("暂停", "paused"),
    SEEKED: ("拖动进度", "seeked"),
    COMPLETED: ("完成", "completed"),
    PASSED: ("通过", "passed"),
    ANSWERED: ("作答", "answered"),
}
XAPI_VERSION = "1.0.3"

# A batch this large goes by COPY on PostgreSQL; smaller ones (the player's 1–5 events) are one
# INSERT, which is also one round trip and needs no COPY set-up.
COPY_THRESHOLD = 200


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


_COPY_COLUMNS = ("uuid", "actor_id", "verb", "object_type", "object_id", "result", "context", "timestamp", "stored")


def record_many(rows: list[StatementRow]) -> None:
    """Append `rows`, all stored now, in one round trip (one INSERT, or COPY for big batches)."""
    if not rows:
        return
    now = timezone.now()
    if len(rows) >= COPY_THRESHOLD:
        # bulk_insert takes database values: prepare them as the ORM would (JSON, UUID, datetime).
        fields = {f.attname: f for f in Statement._meta.concrete_fields}
        prep = [fields[name].get_db_prep_save for name in _COPY_COLUMNS]
        values = (
            (r.uuid, r.actor_id, r.verb, r.object_type, r.object_id, r.result, r.context, r.timestamp or now, now)
            for r in rows
        )
        bulk_insert(
            Statement,
            _COPY_COLUMNS,
            ([p(value, connection) for p, value in zip(prep, row, strict=True)] for row in values),
        )
        return
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


# --- Monthly partitions (PostgreSQL) --------------------------------------------------------------

DEFAULT_PARTITION = "learning_statement_default"


def _month_start(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    local = moment.astimezone(tz)
    return dt.datetime(local.year, local.month, 1, tzinfo=tz)


def _next_month(start: dt.datetime) -> dt.datetime:
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def partition_name(month_start: dt.datetime) -> str:
    return f"learning_statement_y{month_start.year:04d}m{month_start.month:02d}"


def statement_partitions() -> list[str]:
    """Names of the partitions of `learning_statement`, sorted (PostgreSQL; empty elsewhere)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'learning_statement'::regclass ORDER BY c.relname"
        )
        return [name for (name,) in cursor.fetchall()]


def statement_partitions_ensure(*, months: int = 12, now: dt.datetime | None = None) -> dict[str, Any]:
    """Create the monthly partitions missing from this month to `months` months ahead (months in
    TIME_ZONE). Idempotent. A month whose rows already sit in the DEFAULT partition cannot get its
    partition (PostgreSQL refuses) and is reported as blocked, as are the DEFAULT partition's rows.
    On SQLite there is nothing to do."""
    summary: dict[str, Any] = {
        "vendor": connection.vendor,
        "created": [],
        "existing": 0,
        "blocked": [],
        "default_rows": 0,
        "default_months": {},
    }
    if connection.vendor != "postgresql":
        return summary
    tz = ZoneInfo(settings.TIME_ZONE)
    existing = set(statement_partitions())
    start = _month_start(now or timezone.now(), tz)
    for _ in range(months + 1):
        end = _next_month(start)
        name = partition_name(start)
        if name in existing:
            summary["existing"] += 1
        else:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    # Creating a partition locks the parent: never queue the inserts behind a long
                    # export for more than a moment; the next run tries again.
                    cursor.execute("SET LOCAL lock_timeout = '5s'")
                    cursor.execute(
                        f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} WHERE stored >= %s AND stored < %s)",  # noqa: S608
                        [start, end],
                    )
                    if cursor.fetchone()[0]:
                        summary["blocked"].append(name)
                    else:
                        # Names and bounds are computed here, never taken from input.
                        cursor.execute(
                            f"CREATE TABLE {name} PARTITION OF learning_statement "
                            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
                        )
                        summary["created"].append(name)
            except DatabaseError as exc:
                summary["blocked"].append(f"{name}: {str(exc).strip().splitlines()[0]}")
        start = end
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT to_char(stored AT TIME ZONE %s, 'YYYY-MM') AS month, count(*) "  # noqa: S608
            f"FROM {DEFAULT_PARTITION} GROUP BY month ORDER BY month",
            [settings.TIME_ZONE],
        )
        for month, count in cursor.fetchall():
            summary["default_months"][month] = count
            summary["default_rows"] += count
    return summary


# --- Reading back -----------------------------------------------------------------------------


def statements_filter(
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    actor_id: int | None = None,
    verb: str | None = None,
    after_id: int | None = None,
) -> QuerySet[Statement]:
    """Statements stored in [since, until), oldest id first. Bounds on `stored` let PostgreSQL
    skip whole months; `after_id` is the keyset cursor of the API's `more` link."""
    qs = Statement.objects.order_by("id")
    if since is not None:
        qs = qs.filter(stored__gte=since)
    if until is not None:
        qs = qs.filter(stored__lt=until)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if verb:
        qs = qs.filter(verb=verb)
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    return qs


def verb_from_param(value: str) -> str | None:
    """A verb given by its short name or its IRI; None if it is neither."""
    if value in VERB_IRIS:
        return value
    for short, iri in VERB_IRIS.items():
        if value == iri:
            return short
    return None


# --- xAPI 1.0.3 ----------------------------------------------------------------------------------

# Result keys that are xAPI Result properties; any other key becomes an extension.
_RESULT_PROPERTIES = ("score", "success", "completion", "response", "duration")
# Keys the player records, as the xAPI video profile's extensions (`position` is the playhead,
# the profile's `time`; a playback is one viewing session).
_VIDEO_EXTENSIONS = {
    "time": "https://w3id.org/xapi/video/extensions/time",
    "position": "https://w3id.org/xapi/video/extensions/time",
    "playback": "https://w3id.org/xapi/video/extensions/session-id",
    "time_from": "https://w3id.org/xapi/video/extensions/time-from",
    "time_to": "https://w3id.org/xapi/video/extensions/time-to",
    "progress": "https://w3id.org/xapi/video/extensions/progress",
    "played_segments": "https://w3id.org/xapi/video/extensions/played-segments",
    "length": "https://w3id.org/xapi/video/extensions/length",
    "session_id": "https://w3id.org/xapi/video/extensions/session-id",
}
_CONTEXT_PROPERTIES = ("registration", "platform", "language", "revision")


def xapi_homepage() -> str:
    return settings.XAPI_HOMEPAGE.rstrip("/")


def _extension_iri(home: str, key: str) -> str:
    return _VIDEO_EXTENSIONS.get(key.replace("-", "_"), f"{home}/extensions/{key}")


def activity_iri(object_type: str, object_id: int) -> str:
    return f"{xapi_homepage()}/activities/{object_type}/{object_id}"


def _utc(moment: dt.datetime) -> str:
    # xAPI: timestamps SHOULD be in UTC.
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def statement_to_xapi(statement: Statement) -> dict[str, Any]:
    """The statement as an xAPI 1.0.3 Statement. The actor is an account on this platform named by
    the user's id only: no names or mobiles leave in an export."""
    home = xapi_homepage()
    zh, en = VERB_DISPLAY.get(statement.verb, (statement.verb, statement.verb))
    out: dict[str, Any] = {
        "id": str(statement.uuid),
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(statement.actor_id)}},
        "verb": {
            "id": VERB_IRIS.get(statement.verb, f"{home}/verbs/{statement.verb}"),
            "display": {"zh-CN": zh, "en-US": en},
        },
        "object": {"objectType": "Activity", "id": activity_iri(statement.object_type, statement.object_id)},
    }
    if statement.result:
        result: dict[str, Any] = {}
        extensions: dict[str, Any] = {}
        for key, value in statement.result.items():
            if key in _RESULT_PROPERTIES:
                result[key] = value
            else:
                extensions[_extension_iri(home, key)] = value
        if extensions:
            result["extensions"] = extensions
        out["result"] = result
    if statement.context:
        context: dict[str, Any] = {}
        extensions = {}
        for key, value in statement.context.items():
            if key in _CONTEXT_PROPERTIES:
                context[key] = value
            elif key == "course":
                context["contextActivities"] = {
                    "parent": [{"objectType": "Activity", "id": activity_iri("course", value)}]
                }
            else:
                extensions[_extension_iri(home, key)] = value
        if extensions:
            context["extensions"] = extensions
        out["context"] = context
    out["timestamp"] = _utc(statement.timestamp)
    out["stored"] = _utc(statement.stored)
    out["version"] = XAPI_VERSION
    return out
