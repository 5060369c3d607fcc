"""Every write about learning: opening activities, playbacks and heartbeats, checkpoint answers,
completion, and the pass evaluated at once on each completion (seed 004's reformed rule)."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yanxiu.accounts.models import User
from yanxiu.catalog.models import PLAYABLE_KINDS, Activity, ActivityKind, Checkpoint
from yanxiu.core.audit import audit_record
from yanxiu.core.errors import Conflict, NotFound, ValidationFailed
from yanxiu.learning import heartbeat_sql, intervals, statements
from yanxiu.learning.models import ActivityProgress, Playback, ProgressState
from yanxiu.learning.opening import OpenFacts, open_problem, watch_ratio
from yanxiu.learning.pass_rules import PassEvaluation
from yanxiu.learning.selectors import completed_by_enrolment, course_facts, evaluate_enrolment
from yanxiu.training.models import Enrolment, EnrolmentStatus, Period

# A playback older than this stops counting (the learner starts a new one by pressing play).
PLAYBACK_MAX_AGE = dt.timedelta(hours=12)
# Seconds of media a playback may be credited beyond its wall time (network and timer jitter).
CREDIT_SLACK_SECONDS = 5.0
MAX_BEATS_PER_BATCH = 500
# Sequence numbers: remembered individually within this window below the highest applied; a beat
# may run at most this far ahead of it (a player sends one every few seconds).
SEQ_WINDOW = 512
SEQ_MAX_AHEAD = 1000
# Stored play/pause/seek events per playback: a few to start with, then one per wall second.
EVENTS_FREE = 20
RECOMPUTE_CHUNK = 1000
# Pages, documents and links: seconds on the page before they may be marked complete, unless the
# author set completion.min_seconds (settings.LEARNING_MIN_VIEW_SECONDS by default).
OPEN_KINDS = frozenset({ActivityKind.PAGE, ActivityKind.DOCUMENT, ActivityKind.LINK})
BEAT_EVENTS = {"tick": None, "play": statements.PLAYED, "pause": statements.PAUSED, "seek": statements.SEEKED}


def _today(now: dt.datetime) -> dt.date:
    return timezone.localtime(now).date()


def enrolment_check_open(enrolment: Enrolment, *, now: dt.datetime | None = None) -> None:
    """Learning happens only while the course is open for this learner (the period's dates or a
    retake's own dates, and the period not closed), and, where a fee applies, once it is paid."""
    facts = OpenFacts(
        enrolment.status,
        enrolment.fee_status,
        enrolment.open_from,
        enrolment.open_until,
        enrolment.offering.period.closed_at is not None,
    )
    problem = open_problem(facts, _today(now or timezone.now()))
    if problem is not None:
        raise problem


def watch_ratio_of(activity: Activity) -> Decimal:
    return watch_ratio(activity.completion)


# --- Evaluation ----------------------------------------------------------------------------------
def progress_percent(evaluation: PassEvaluation) -> int:
    if evaluation.passed:
        return 100
    units = evaluation.required_needed + evaluation.assignments_required
    if units == 0:
        return 0
    done = min(evaluation.required_done, evaluation.required_needed) + evaluation.assignments_passed
    return min(99, math.floor(100 * done / units))


def _enrolment_touch(enrolment: Enrolment, activity: Activity, now: dt.datetime) -> None:
    """Mark the enrolment as being learned, and where (continue where I left off)."""
    fields = {"last_activity_id": activity.pk, "last_learned_at": now}
    if enrolment.started_at is None:
        fields["started_at"] = now
    if enrolment.status == EnrolmentStatus.SELECTED:
        fields["status"] = EnrolmentStatus.LEARNING
    Enrolment.objects.filter(pk=enrolment.pk).update(**fields)
    for name, value in fields.items():
        setattr(enrolment, name, value)


def enrolment_reevaluate(enrolment: Enrolment, *, now: dt.datetime) -> PassEvaluation:
    """Evaluate the pass rule now and record a new pass (time and hours earned). A pass is not
    taken back here, and a result of a closed period is never changed; only an administrator's
    recompute after a rule change may do either."""
    with transaction.atomic():
        # of=self: lock the enrolment only, never the offering or course every other learner shares.
        locked = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("offering__course", "offering__period")
            .get(pk=enrolment.pk)
        )
        evaluation = evaluate_enrolment(locked)
        if locked.offering.period.closed_at is not None or locked.status == EnrolmentStatus.FAILED:
            return evaluation  # a closed period's results are final; only a recompute may change them
        fields: dict[str, Any] = {"progress": progress_percent(evaluation)}
        if evaluation.passed and locked.status != EnrolmentStatus.PASSED:
            fields |= {
                "status": EnrolmentStatus.PASSED,
                "passed_at": now,
                "hours_earned": locked.offering.course.credit_hours,
                "progress": 100,
            }
            statements.record(
                actor_id=locked.teacher.user_id or 0,
                verb=statements.PASSED,
                object_type="course",
                object_id=locked.offering.course_id,
                result={"success": True, "hours": str(locked.offering.course.credit_hours)},
                context={"enrolment": locked.pk, "period": locked.offering.period_id},
                timestamp=now,
            )
        elif locked.status == EnrolmentStatus.PASSED:
            fields["progress"] = 100
        Enrolment.objects.filter(pk=locked.pk).update(**fields)
        for name, value in fields.items():
            setattr(enrolment, name, value)
    return evaluation


def _complete(progress: ActivityProgress, *, actor_id: int, now: dt.datetime) -> None:
    progress.state = ProgressState.COMPLETED
    progress.completed_at = now
    statements.record(
        actor_id=actor_id,
        verb=statements.COMPLETED,
        object_type="activity",
        object_id=progress.activity_id,
        result={"completion": True},
        context={"enrolment": progress.enrolment_id},
        timestamp=now,
    )


# --- Opening and completing pages, documents and links -------------------------------------------
def min_view_seconds(activity: Activity) -> int:
    # A link is done by following it; pages and documents by having them open a while.
    default = 0 if activity.kind == ActivityKind.LINK else settings.LEARNING_MIN_VIEW_SECONDS
    try:
        value = int(activity.completion.get("min_seconds", default))
    except (TypeError, ValueError):
        value = default
    return max(0, value)


def activity_open(*, acting_user: User, enrolment: Enrolment, activity: Activity) -> ActivityProgress | None:
    """The learner opens an activity: a `viewed` statement, the activity in progress and the
    enrolment's place (继续学习). Opening records nothing outside the course's open dates; the
    page can still be read. Completion is a separate, deliberate step (`activity_complete`)."""
    now = timezone.now()
    try:
        enrolment_check_open(enrolment, now=now)
    except ValidationFailed:
        return ActivityProgress.objects.filter(enrolment=enrolment, activity=activity).first()
    with transaction.atomic():
        progress, _created = ActivityProgress.objects.select_for_update().get_or_create(
            enrolment=enrolment, activity=activity
        )
        statements.record(
            actor_id=acting_user.pk,
            verb=statements.VIEWED,
            object_type="activity",
            object_id=activity.pk,
            timestamp=now,
        )
        _enrolment_touch(enrolment, activity, now)
        if progress.state == ProgressState.NOT_STARTED:
            progress.state = ProgressState.IN_PROGRESS
            progress.save()
    return progress


def activity_complete(
    *, acting_user: User, enrolment: Enrolment, activity: Activity, now: dt.datetime | None = None
) -> ActivityProgress:
    """Mark a page, document or link complete: a POST from the page after the learner has had it
    open for the activity's minimum time (measured on the server from the first opening), so a
    prefetch, a crawler or a forged link completes nothing. Idempotent."""
    if activity.kind not in OPEN_KINDS:
        raise ValidationFailed("这个学习活动不能这样完成。", code="not_completable")
    now = now or timezone.now()
    enrolment_check_open(enrolment, now=now)
    completed_now = False
    with transaction.atomic():
        progress = ActivityProgress.objects.select_for_update().filter(enrolment=enrolment, activity=activity).first()
        if progress is None:
            raise ValidationFailed("请先打开学习内容。", code="not_opened")
        if progress.state != ProgressState.COMPLETED:
            wait = min_view_seconds(activity) - (now - progress.started_at).total_seconds()
            if wait > 0:
                raise ValidationFailed(f"请再学习 {math.ceil(wait)} 秒后再标记完成。", code="too_soon")
            _complete(progress, actor_id=acting_user.pk, now=now)
            progress.save()
            completed_now = True
    if completed_now:
        enrolment_reevaluate(enrolment, now=now)
    return progress


# --- Playback and heartbeats ---------------------------------------------------------------------
def playback_start(*, acting_user: User, enrolment: Enrolment, activity: Activity) -> dict[str, Any]:
    """Start counting a playback; every other playback of this learner stops counting."""
    if activity.kind not in PLAYABLE_KINDS:
        raise ValidationFailed("这个学习活动不是视频。", code="not_playable")
    if not activity.hls_playlist or not activity.duration_seconds:
        raise ValidationFailed("视频还在处理中，请稍后再试。", code="not_ready")
    now = timezone.now()
    enrolment_check_open(enrolment, now=now)
    with transaction.atomic():
        # One learner's starts are serialised, so two windows pressing play at once leave one live.
        User.objects.select_for_update().filter(pk=acting_user.pk).values_list("pk", flat=True).first()
        Playback.objects.filter(user=acting_user, superseded_at__isnull=True).update(superseded_at=now)
        # Old playbacks have done their work (progress keeps the result): each learner keeps a day's.
        Playback.objects.filter(user=acting_user, started_at__lt=now - PLAYBACK_MAX_AGE * 2).delete()
        playback = Playback.objects.create(user=acting_user, enrolment=enrolment, activity=activity, started_at=now)
        progress, _created = ActivityProgress.objects.get_or_create(enrolment=enrolment, activity=activity)
        if progress.state == ProgressState.NOT_STARTED:
            progress.state = ProgressState.IN_PROGRESS
            progress.save(update_fields=["state", "updated_at"])
        _enrolment_touch(enrolment, activity, now)
    duration = float(activity.duration_seconds)
    position = progress.position if progress.position < duration - 3 else 0.0
    return {
        "playback": str(playback.id),
        "position": round(position, 1),
        "duration": duration,
        "seconds_watched": round(progress.seconds_watched, 1),
        "completed": progress.state == ProgressState.COMPLETED,
        "checkpoints_passed": list(progress.checkpoints_passed),
    }


@dataclass(frozen=True)
class Beat:
    seq: int
    start: float
    end: float
    position: float
    event: str
    at: dt.datetime | None


def beats_parse(raw: Any) -> list[Beat]:
    """Validate a batch of heartbeats from the player; anything malformed rejects the batch."""
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed("心跳数据应为非空列表。", code="bad_heartbeat")
    if len(raw) > MAX_BEATS_PER_BATCH:
        raise ValidationFailed(f"一次最多提交 {MAX_BEATS_PER_BATCH} 条心跳。", code="bad_heartbeat")
    beats = []
    for item in raw:
        try:
            seq = item["seq"]
            if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**31:
                raise ValueError
            start, end, position = (float(item.get(k, 0)) for k in ("start", "end", "position"))
            if not all(math.isfinite(v) and v >= 0 for v in (start, end, position)):
                raise ValueError
            event = item.get("event", "tick")
            if event not in BEAT_EVENTS and event != "ended":
                raise ValueError
            at = None
            if item.get("at") is not None:
                at = dt.datetime.fromtimestamp(float(item["at"]) / 1000, tz=dt.UTC)
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            raise ValidationFailed("心跳数据格式不正确。", code="bad_heartbeat") from None
        beats.append(Beat(seq, start, end, position, event, at))
    return beats


def heartbeats_apply(*, playback_id: str, beats: list[Beat], now: dt.datetime | None = None) -> dict[str, Any]:
    """Apply a batch of heartbeats to the playback's progress.

    Idempotent: a sequence number already applied is ignored, so a retried or duplicated batch
    counts once and beats may arrive out of order. Progress is the union of watched seconds,
    credited at most as fast as wall time has passed since the playback started.

    This is the platform's hottest write (every player, every few seconds), so it is plain SQL
    (`heartbeat_sql`): one read of the playback with its progress row, locking only those two, and
    two updates. Completing the video, rare, goes through the ORM.
    """
    now = now or timezone.now()
    try:
        key = uuid.UUID(str(playback_id))
    except ValueError:
        raise NotFound() from None
    completed_now = False
    with transaction.atomic():
        row = heartbeat_sql.read(key)
        if row is None:
            raise NotFound()
        if row.superseded_at is not None:
            raise Conflict("您已在其他窗口或设备开始播放，此处已暂停。", code="superseded")
        if now - row.started_at > PLAYBACK_MAX_AGE:
            raise Conflict("播放已过期，请重新点击播放。", code="expired")
        closed = open_problem(row.open_facts, _today(now))
        if closed is not None:
            raise Conflict(closed.message, code="closed")
        if any(b.seq > row.seq_high + SEQ_MAX_AHEAD for b in beats):
            raise ValidationFailed("心跳序号不正确。", code="bad_heartbeat")
        duration = float(row.duration or 0)
        floor = row.seq_high - SEQ_WINDOW
        seen = set(row.seqs)
        fresh = sorted({b.seq: b for b in beats if b.seq > floor and b.seq not in seen}.values(), key=lambda b: b.seq)
        seq_high, credited, events_stored = row.seq_high, row.credited_seconds, row.events
        position, seconds_watched = row.position, row.seconds_watched
        watched: list[intervals.Interval] = [(float(s), float(e)) for s, e in row.watched]
        events: list[statements.StatementRow] = []
        if fresh:
            elapsed = (now - row.started_at).total_seconds()
            budget = elapsed * intervals.MAX_RATE + CREDIT_SLACK_SECONDS - credited
            event_budget = EVENTS_FREE + int(elapsed) - events_stored
            for beat in fresh:
                start, end = min(beat.start, duration), min(beat.end, duration)
                length = min(max(0.0, end - start), max(0.0, budget))
                if length > 0:
                    watched = intervals.merge([*watched, (start, start + length)])
                    budget -= length
                    credited += length
                if beat.seq > seq_high:
                    seq_high = beat.seq
                    position = min(beat.position, duration)
                verb = BEAT_EVENTS.get(beat.event)
                if verb and len(events) < event_budget:
                    # Client times are believed only between the playback's start and now.
                    at = min(max(beat.at, row.started_at), now) if beat.at else now
                    events.append(
                        statements.StatementRow(
                            row.user_id,
                            verb,
                            "activity",
                            row.activity_id,
                            result={"position": round(beat.position, 1)},
                            context={"playback": str(key), "seq": beat.seq},
                            timestamp=at,
                        )
                    )
            seconds_watched = intervals.covered(watched)
            floor = seq_high - SEQ_WINDOW
            seqs = sorted(n for n in seen | {b.seq for b in fresh} if n > floor)
            heartbeat_sql.write(
                key,
                row.progress_id,
                seq_high=seq_high,
                seqs=seqs,
                credited=credited,
                events=events_stored + len(events),
                watched=[[round(s, 3), round(e, 3)] for s, e in watched],
                seconds_watched=seconds_watched,
                position=position,
                now=now,
            )
            statements.record_many(events)
        completed = row.state == ProgressState.COMPLETED
        if not completed and duration > 0 and Decimal(str(seconds_watched / duration)) >= row.watch_ratio:
            progress = ActivityProgress.objects.select_related("activity").get(pk=row.progress_id)
            if _video_done(progress.activity, progress, duration):
                _complete(progress, actor_id=row.user_id, now=now)
                progress.save(update_fields=["state", "completed_at", "updated_at"])
                completed = completed_now = True
    enrolment_progress, passed = row.enrolment_progress, row.enrolment_status == EnrolmentStatus.PASSED
    if completed_now:
        enrolment = Enrolment.objects.select_related("offering").get(pk=row.enrolment_id)
        enrolment_reevaluate(enrolment, now=now)
        enrolment_progress, passed = enrolment.progress, enrolment.status == EnrolmentStatus.PASSED
    return {
        "applied": [b.seq for b in fresh],
        "seconds_watched": round(seconds_watched, 1),
        "ratio": round(min(1.0, seconds_watched / duration), 4) if duration else 0,
        "completed": completed,
        "enrolment_progress": enrolment_progress,
        "passed": passed,
    }


def _video_done(activity: Activity, progress: ActivityProgress, duration: float) -> bool:
    if duration <= 0:
        return False
    if Decimal(str(progress.seconds_watched / duration)) < watch_ratio_of(activity):
        return False
    wanted = set(Checkpoint.objects.filter(activity=activity).values_list("pk", flat=True))
    return wanted <= set(progress.checkpoints_passed)


def checkpoint_answer(
    *, acting_user: User, enrolment: Enrolment, checkpoint: Checkpoint, choice: int
) -> dict[str, Any]:
    """Answer a question inside a video. A right answer is kept; a wrong one may be tried again."""
    if not 0 <= choice < len(checkpoint.choices):
        raise ValidationFailed("请选择一个选项。", code="bad_choice")
    now = timezone.now()
    enrolment_check_open(enrolment, now=now)
    correct = choice == checkpoint.answer
    completed_now = False
    with transaction.atomic():
        progress, _created = ActivityProgress.objects.select_for_update().get_or_create(
            enrolment=enrolment, activity_id=checkpoint.activity_id
        )
        statements.record(
            actor_id=acting_user.pk,
            verb=statements.ANSWERED,
            object_type="checkpoint",
            object_id=checkpoint.pk,
            result={"success": correct, "response": choice},
            context={"activity": checkpoint.activity_id, "enrolment": enrolment.pk},
            timestamp=now,
        )
        if correct and checkpoint.pk not in progress.checkpoints_passed:
            progress.checkpoints_passed = sorted([*progress.checkpoints_passed, checkpoint.pk])
            activity = checkpoint.activity
            if progress.state != ProgressState.COMPLETED and _video_done(
                activity, progress, float(activity.duration_seconds or 0)
            ):
                _complete(progress, actor_id=acting_user.pk, now=now)
                completed_now = True
            progress.save()
    if completed_now:
        enrolment_reevaluate(enrolment, now=now)
    return {"correct": correct, "completed": progress.state == ProgressState.COMPLETED}


# --- Recompute after a rule change ---------------------------------------------------------------
def period_recompute(*, acting_user: User, period: Period, apply: bool, request: Any = None) -> dict[str, int]:
    """Re-evaluate every enrolment of a period with the offerings' current rules.

    With apply=False nothing is written and nothing is locked: the counts are the preview an
    administrator confirms. With apply=True the period is worked through in chunks, each its own
    short transaction locking only its enrolments, so learners completing activities meanwhile
    wait at most for one chunk. Newly passing enrolments get the time of the recompute and the
    hours; enrolments that no longer pass lose the pass (learning, or failed once closed).
    """
    now = timezone.now()
    counts = {"total": 0, "unchanged": 0, "newly_passed": 0, "no_longer_passed": 0}
    facts_cache: dict[int, Any] = {}
    ids = list(Enrolment.objects.filter(offering__period=period).order_by("pk").values_list("pk", flat=True))
    for chunk_start in range(0, len(ids), RECOMPUTE_CHUNK):
        chunk = ids[chunk_start : chunk_start + RECOMPUTE_CHUNK]
        with transaction.atomic():
            rows = Enrolment.objects.filter(pk__in=chunk).select_related("offering__course", "offering__period")
            if apply:
                rows = rows.select_for_update(of=("self",))
            enrolments = list(rows)
            done = completed_by_enrolment(chunk)
            for enrolment in enrolments:
                counts["total"] += 1
                course_id = enrolment.offering.course_id
                if course_id not in facts_cache:
                    facts_cache[course_id] = course_facts(course_id)
                evaluation = evaluate_enrolment(
                    enrolment, facts=facts_cache[course_id], completed=done.get(enrolment.pk, set())
                )
                if evaluation.passed == (enrolment.status == EnrolmentStatus.PASSED):
                    counts["unchanged"] += 1
                    continue
                counts["newly_passed" if evaluation.passed else "no_longer_passed"] += 1
                if apply:
                    Enrolment.objects.filter(pk=enrolment.pk).update(**_recomputed_fields(enrolment, evaluation, now))
    if apply:
        audit_record(action="period.recomputed", actor=acting_user, request=request, target=period, detail=counts)
    return counts


def _recomputed_fields(enrolment: Enrolment, evaluation: PassEvaluation, now: dt.datetime) -> dict[str, Any]:
    if evaluation.passed:
        return {
            "status": EnrolmentStatus.PASSED,
            "passed_at": now,
            "hours_earned": enrolment.offering.course.credit_hours,
            "progress": 100,
        }
    closed = _today(now) > enrolment.open_until
    return {
        "status": EnrolmentStatus.FAILED if closed else EnrolmentStatus.LEARNING,
        "passed_at": None,
        "hours_earned": None,
        "progress": progress_percent(evaluation),
    }
