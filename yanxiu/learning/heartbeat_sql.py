"""The heartbeat's two statements in plain SQL.

Every player sends a heartbeat every few seconds, so its cost sets how many learners a server
holds. Through the ORM, building the SQL cost as much as running it; here one SELECT reads the
playback with everything the rules need and locks only the playback and progress rows (never the
activity, enrolment or period every other learner shares), and two UPDATEs write the results.
The rules themselves stay in `actions.heartbeats_apply`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from yanxiu.learning.opening import OpenFacts, watch_ratio
from yanxiu.learning.sqlvalues import as_aware, as_date, as_json

_READ = """
SELECT p.started_at, p.superseded_at, p.user_id, p.activity_id, p.enrolment_id,
       p.seq_high, p.seqs, p.credited_seconds, p.events,
       a.duration_seconds, a.completion,
       e.status, e.fee_status, e.opens_on, e.closes_on, e.progress,
       per.starts_on, per.ends_on, per.closed_at,
       pr.id, pr.watched, pr.state, pr.position, pr.seconds_watched
FROM learning_playback p
JOIN catalog_activity a ON a.id = p.activity_id
JOIN training_enrolment e ON e.id = p.enrolment_id
JOIN training_offering o ON o.id = e.offering_id
JOIN training_period per ON per.id = o.period_id
JOIN learning_activityprogress pr ON pr.enrolment_id = p.enrolment_id AND pr.activity_id = p.activity_id
WHERE p.id = %s
"""
# PostgreSQL: lock this playback and its progress row only. SQLite has no row locks; its
# IMMEDIATE transactions (settings) serialise writers instead.
_LOCK = " FOR UPDATE OF p, pr"

_WRITE_PLAYBACK = (
    "UPDATE learning_playback SET seq_high = %s, seqs = {json}, credited_seconds = %s, events = %s,"
    " last_beat_at = %s WHERE id = %s"
)
_WRITE_PROGRESS = (
    "UPDATE learning_activityprogress SET watched = {json}, seconds_watched = %s, position = %s,"
    " updated_at = %s WHERE id = %s"
)

_WRITE_BOTH = (
    "WITH playback AS (" + _WRITE_PLAYBACK.format(json="%s::jsonb") + ") " + _WRITE_PROGRESS.format(json="%s::jsonb")
)


@dataclass(frozen=True)
class HeartbeatRow:
    started_at: dt.datetime
    superseded_at: dt.datetime | None
    user_id: int
    activity_id: int
    enrolment_id: int
    seq_high: int
    seqs: list[int]
    credited_seconds: float
    events: int
    duration: int | None
    watch_ratio: Decimal
    open_facts: OpenFacts
    enrolment_status: str
    enrolment_progress: int
    progress_id: int
    watched: list[list[float]]
    state: str
    position: float
    seconds_watched: float


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _key(playback_id: uuid.UUID) -> Any:
    return playback_id if _postgres() else playback_id.hex  # Django keeps UUIDs as hex on SQLite


def read(playback_id: uuid.UUID) -> HeartbeatRow | None:
    """The playback, locked with its progress row, and what the rules need; None if unknown."""
    with connection.cursor() as cursor:
        cursor.execute(_READ + (_LOCK if _postgres() else ""), [_key(playback_id)])
        found = cursor.fetchone()
    if found is None:
        return None
    (
        started_at, superseded_at, user_id, activity_id, enrolment_id,
        seq_high, seqs, credited, events,
        duration, completion,
        status, fee_status, opens_on, closes_on, enrolment_progress,
        starts_on, ends_on, closed_at,
        progress_id, watched, state, position, seconds_watched,
    ) = found  # fmt: skip
    return HeartbeatRow(
        started_at=as_aware(started_at),
        superseded_at=as_aware(superseded_at),
        user_id=user_id,
        activity_id=activity_id,
        enrolment_id=enrolment_id,
        seq_high=seq_high,
        seqs=as_json(seqs) or [],
        credited_seconds=float(credited),
        events=events,
        duration=duration,
        watch_ratio=watch_ratio(as_json(completion)),
        open_facts=OpenFacts(
            status,
            fee_status,
            as_date(opens_on or starts_on),
            as_date(closes_on or ends_on),
            closed_at is not None,
        ),
        enrolment_status=status,
        enrolment_progress=enrolment_progress,
        progress_id=progress_id,
        watched=as_json(watched) or [],
        state=state,
        position=float(position),
        seconds_watched=float(seconds_watched),
    )


def write(
    playback_id: uuid.UUID,
    progress_id: int,
    *,
    seq_high: int,
    seqs: list[int],
    credited: float,
    events: int,
    watched: list[list[float]],
    seconds_watched: float,
    position: float,
    now: dt.datetime,
) -> None:
    stamp = connection.ops.adapt_datetimefield_value(now)
    playback: list[Any] = [seq_high, json.dumps(seqs), credited, events, stamp, _key(playback_id)]
    progress: list[Any] = [json.dumps(watched), seconds_watched, position, stamp, progress_id]
    with connection.cursor() as cursor:
        if _postgres():
            # One round trip: both rows in one statement.
            cursor.execute(_WRITE_BOTH, playback + progress)
        else:
            cursor.execute(_WRITE_PLAYBACK.format(json="%s"), playback)
            cursor.execute(_WRITE_PROGRESS.format(json="%s"), progress)
