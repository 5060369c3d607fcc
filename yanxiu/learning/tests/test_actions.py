"""Honest progress, playbacks, checkpoints and the pass evaluated on each completion."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from yanxiu.catalog.models import ActivityKind, Checkpoint
from yanxiu.core.errors import Conflict, NotFound, ValidationFailed
from yanxiu.learning import actions
from yanxiu.learning.models import ActivityProgress, Playback, ProgressState, Statement
from yanxiu.learning.tests.factories import add_activity, build_course, enrol, make_period
from yanxiu.org.tests.factories import UserFactory
from yanxiu.training.models import EnrolmentStatus, FeeStatus

pytestmark = pytest.mark.django_db


def beats(*segments, start_seq=0, event="tick"):
    """Beats for (start, end) segments with consecutive sequence numbers."""
    return actions.beats_parse(
        [
            {"seq": start_seq + i, "start": s, "end": e, "position": e, "event": event}
            for i, (s, e) in enumerate(segments)
        ]
    )


@pytest.fixture
def video_enrolment(regions):
    course = build_course([ActivityKind.VIDEO, ActivityKind.PAGE])
    enrolment = enrol(course)
    video = course.activities.get(kind=ActivityKind.VIDEO)
    return enrolment, video


def start(enrolment, video):
    return actions.playback_start(acting_user=enrolment.teacher.user, enrolment=enrolment, activity=video)


def later(playback_id, seconds):
    return Playback.objects.get(pk=playback_id).started_at + dt.timedelta(seconds=seconds)


def progress_of(enrolment, activity):
    return ActivityProgress.objects.get(enrolment=enrolment, activity=activity)


# --- Distinct seconds ----------------------------------------------------------------------------
def test_seek_and_replay_earn_nothing_extra(video_enrolment) -> None:
    enrolment, video = video_enrolment
    pid = start(enrolment, video)["playback"]
    # 0-30 watched, then a replay of 10-30, then a jump to 60-70.
    result = actions.heartbeats_apply(playback_id=pid, beats=beats((0, 30), (10, 30), (60, 70)), now=later(pid, 200))
    assert result["seconds_watched"] == 40
    row = progress_of(enrolment, video)
    assert row.watched == [[0, 30], [60, 70]]
    assert row.state == ProgressState.IN_PROGRESS
    assert row.position == 70


def test_fast_playback_is_capped_by_wall_time(video_enrolment) -> None:
    enrolment, video = video_enrolment
    pid = start(enrolment, video)["playback"]
    # Claims 100 seconds after 20 seconds of wall time (5x speed): credited at most 20*1.1 + 5.
    result = actions.heartbeats_apply(playback_id=pid, beats=beats((0, 100)), now=later(pid, 20))
    assert result["seconds_watched"] == pytest.approx(27)
    assert result["completed"] is False
    # The budget is spent: a later claim is credited only as wall time passes.
    result = actions.heartbeats_apply(playback_id=pid, beats=beats((27, 100), start_seq=1), now=later(pid, 30))
    assert result["seconds_watched"] == pytest.approx(38)


def test_segments_are_clipped_to_the_video(video_enrolment) -> None:
    enrolment, video = video_enrolment
    pid = start(enrolment, video)["playback"]
    result = actions.heartbeats_apply(playback_id=pid, beats=beats((95, 500)), now=later(pid, 600))
    assert result["seconds_watched"] == 5


# --- Idempotent heartbeats -----------------------------------------------------------------------
def test_duplicate_batches_count_once(video_enrolment) -> None:
    enrolment, video = video_enrolment
    pid = start(enrolment, video)["playback"]
    batch = beats((0, 10), (10, 20))
    first = actions.heartbeats_apply(playback_id=pid, beats=batch, now=later(pid, 25))
    again = actions.heartbeats_apply(playback_id=pid, beats=batch, now=later(pid, 26))
    assert first["applied"] == [0, 1]
    assert again["applied"] == []
    assert again["seconds_watched"] == 20
    assert Playback.objects.get(pk=pid).credited_seconds == 20


def test_out_of_order_beats_are_applied_and_position_follows_the_newest(video_enrolment) -> None:
    enrolment, video = video_enrolment
    pid = start(enrolment, video)["playback"]
    late = actions.beats_parse([{"seq": 2, "start": 20, "end": 30, "position": 30}])
    early = actions.beats_parse([{"seq": 0, "start": 0, "end": 10, "position": 10}])
    actions.heartbeats_apply(playback_id=pid, beats=late, now=later(pid, 40))
    result = actions.heartbeats_apply(playback_id=pid, beats=early, now=later(pid, 41))
    assert result["seconds_watched"] == 20
    assert progress_of(enrolment, video).position == 30  # seq 0 arrived last but is older


def test_play_pause_seek_become_statements_ticks_do_not(video_enrolment) -> None:
    enrolment, video = video_enrolment
    pid = start(enrolment, video)["playback"]
    batch = actions.beats_parse(
        [
            {"seq": 0, "start": 0, "end": 0, "position": 0, "event": "play"},
            {"seq": 1, "start": 0, "end": 10, "position": 10, "event": "tick"},
            {"seq": 2, "start": 10, "end": 12, "position": 50, "event": "seek"},
            {"seq": 3, "start": 50, "end": 55, "position": 55, "event": "pause"},
        ]
    )
    actions.heartbeats_apply(playback_id=pid, beats=batch, now=later(pid, 60))
    verbs = list(Statement.objects.filter(object_id=video.pk).order_by("id").values_list("verb", flat=True))
    assert verbs == ["played", "seeked", "paused"]


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        [{"start": 0, "end": 1}],
        [{"seq": -1, "start": 0, "end": 1}],
        [{"seq": "1", "start": 0, "end": 1}],
        [{"seq": 1, "start": "nan", "end": 1}],
        [{"seq": 1, "start": -5, "end": 1}],
        [{"seq": 1, "start": 0, "end": 1, "event": "teleport"}],
        [{"seq": i, "start": 0, "end": 1} for i in range(501)],
    ],
)
def test_malformed_heartbeats_are_rejected(raw) -> None:
    with pytest.raises(ValidationFailed):
        actions.beats_parse(raw)


def test_unknown_playback_is_not_found(regions) -> None:
    with pytest.raises(NotFound):
        actions.heartbeats_apply(playback_id="not-a-uuid", beats=beats((0, 1)))
    with pytest.raises(NotFound):
        actions.heartbeats_apply(playback_id="00000000-0000-4000-8000-000000000000", beats=beats((0, 1)))


# --- One playback at a time ----------------------------------------------------------------------
def test_a_second_playback_stops_the_first(video_enrolment) -> None:
    enrolment, video = video_enrolment
    first = start(enrolment, video)["playback"]
    actions.heartbeats_apply(playback_id=first, beats=beats((0, 10)), now=later(first, 12))
    second = start(enrolment, video)["playback"]
    with pytest.raises(Conflict) as raised:
        actions.heartbeats_apply(playback_id=first, beats=beats((10, 20), start_seq=1), now=later(first, 30))
    assert raised.value.code == "superseded"
    assert "其他窗口" in raised.value.message
    result = actions.heartbeats_apply(playback_id=second, beats=beats((10, 20)), now=later(second, 12))
    assert result["seconds_watched"] == 20  # the first playback's 10 seconds are kept
    assert Playback.objects.filter(user=enrolment.teacher.user, superseded_at__isnull=True).count() == 1


def test_playing_another_course_also_stops_the_first(video_enrolment) -> None:
    enrolment, video = video_enrolment
    first = start(enrolment, video)["playback"]
    other = build_course([ActivityKind.VIDEO])
    other_enrolment = enrol(other, enrolment.teacher)
    start(other_enrolment, other.activities.get())
    with pytest.raises(Conflict):
        actions.heartbeats_apply(playback_id=first, beats=beats((0, 5)), now=later(first, 10))


def test_an_old_playback_expires(video_enrolment) -> None:
    enrolment, video = video_enrolment
    pid = start(enrolment, video)["playback"]
    with pytest.raises(Conflict) as raised:
        actions.heartbeats_apply(playback_id=pid, beats=beats((0, 5)), now=later(pid, 13 * 3600))
    assert raised.value.code == "expired"


def test_resume_position_is_returned(video_enrolment) -> None:
    enrolment, video = video_enrolment
    pid = start(enrolment, video)["playback"]
    actions.heartbeats_apply(playback_id=pid, beats=beats((0, 42)), now=later(pid, 60))
    assert start(enrolment, video)["position"] == 42


# --- Completion and pass -------------------------------------------------------------------------
def test_watching_90_percent_completes_the_video_and_passes(regions) -> None:
    course = build_course([ActivityKind.VIDEO])
    enrolment = enrol(course)
    video = course.activities.get()
    pid = start(enrolment, video)["playback"]
    result = actions.heartbeats_apply(playback_id=pid, beats=beats((0, 89)), now=later(pid, 100))
    assert result["completed"] is False
    result = actions.heartbeats_apply(playback_id=pid, beats=beats((89, 90), start_seq=1), now=later(pid, 101))
    assert result["completed"] is True
    assert result["passed"] is True
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.PASSED
    assert enrolment.hours_earned == Decimal("10")
    assert enrolment.passed_at is not None
    assert enrolment.progress == 100
    assert Statement.objects.filter(verb="passed", object_type="course", object_id=course.pk).count() == 1


def test_checkpoints_must_be_answered_to_complete(regions) -> None:
    course = build_course([ActivityKind.VIDEO])
    enrolment = enrol(course)
    video = course.activities.get()
    question = Checkpoint.objects.create(activity=video, at_seconds=30, question="1+1=?", choices=["1", "2"], answer=1)
    pid = start(enrolment, video)["playback"]
    result = actions.heartbeats_apply(playback_id=pid, beats=beats((0, 100)), now=later(pid, 120))
    assert result["completed"] is False
    wrong = actions.checkpoint_answer(
        acting_user=enrolment.teacher.user, enrolment=enrolment, checkpoint=question, choice=0
    )
    assert wrong == {"correct": False, "completed": False}
    right = actions.checkpoint_answer(
        acting_user=enrolment.teacher.user, enrolment=enrolment, checkpoint=question, choice=1
    )
    assert right == {"correct": True, "completed": True}
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.PASSED
    with pytest.raises(ValidationFailed):
        actions.checkpoint_answer(
            acting_user=enrolment.teacher.user, enrolment=enrolment, checkpoint=question, choice=5
        )


def read(enrolment, activity, *, seconds=60):
    """Open a page and mark it complete `seconds` later."""
    user = enrolment.teacher.user
    actions.activity_open(acting_user=user, enrolment=enrolment, activity=activity)
    now = timezone.now() + dt.timedelta(seconds=seconds)
    return actions.activity_complete(acting_user=user, enrolment=enrolment, activity=activity, now=now)


def open_pages(enrolment, n):
    for activity in enrolment.offering.course.activities.filter(kind=ActivityKind.PAGE, required=True)[:n]:
        read(enrolment, activity)
    enrolment.refresh_from_db()


def test_the_60_percent_boundary(regions) -> None:
    # 5 required pages: 60% is exactly 3.
    enrolment = enrol(build_course())
    open_pages(enrolment, 2)
    assert enrolment.status == EnrolmentStatus.LEARNING
    assert enrolment.progress == 66  # 2 of the 3 needed
    open_pages(enrolment, 3)
    assert enrolment.status == EnrolmentStatus.PASSED


def test_ratio_rounds_up(regions) -> None:
    # 7 required pages: 60% is 4.2, so 5 are needed.
    enrolment = enrol(build_course([ActivityKind.PAGE] * 7))
    open_pages(enrolment, 4)
    assert enrolment.status == EnrolmentStatus.LEARNING
    open_pages(enrolment, 5)
    assert enrolment.status == EnrolmentStatus.PASSED


def test_optional_activities_do_not_count(regions) -> None:
    enrolment = enrol(build_course([ActivityKind.PAGE] * 5, optional=5))
    for activity in enrolment.offering.course.activities.filter(required=False):
        read(enrolment, activity)
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.LEARNING
    assert enrolment.progress == 0


def test_a_required_assignment_must_be_passed(regions) -> None:
    course = build_course([ActivityKind.PAGE] * 5 + [ActivityKind.ASSIGNMENT])
    enrolment = enrol(course)
    open_pages(enrolment, 5)
    assert enrolment.status == EnrolmentStatus.LEARNING
    assert enrolment.progress == 75  # 3 of 3 pages, 0 of 1 assignment
    # The tutoring app reports a passed assignment as a completed progress row.
    assignment = course.activities.get(kind=ActivityKind.ASSIGNMENT)
    ActivityProgress.objects.create(enrolment=enrolment, activity=assignment, state=ProgressState.COMPLETED)
    actions.enrolment_reevaluate(enrolment, now=timezone.now())
    assert enrolment.status == EnrolmentStatus.PASSED


def test_assignment_not_required_by_the_rule(regions) -> None:
    course = build_course([ActivityKind.PAGE] * 5 + [ActivityKind.ASSIGNMENT])
    enrolment = enrol(course, pass_rule={"required_ratio": "0.6", "assignment_required": False})
    open_pages(enrolment, 3)
    assert enrolment.status == EnrolmentStatus.PASSED


def test_opening_a_page_only_views_it_completing_takes_time_and_counts_once(regions, settings) -> None:
    settings.LEARNING_MIN_VIEW_SECONDS = 10
    enrolment = enrol(build_course())
    user = enrolment.teacher.user
    page = enrolment.offering.course.activities.first()
    for _ in range(2):
        progress = actions.activity_open(acting_user=user, enrolment=enrolment, activity=page)
    assert progress.state == ProgressState.IN_PROGRESS
    with pytest.raises(ValidationFailed) as raised:
        actions.activity_complete(acting_user=user, enrolment=enrolment, activity=page)
    assert raised.value.code == "too_soon"
    assert "秒后再标记完成" in raised.value.message
    for _ in range(2):  # a retried POST
        read(enrolment, page, seconds=11)
    assert Statement.objects.filter(verb="completed", object_id=page.pk).count() == 1
    assert Statement.objects.filter(verb="viewed", object_id=page.pk).count() == 4
    enrolment.refresh_from_db()
    assert enrolment.last_activity_id == page.pk
    assert enrolment.started_at is not None


def test_an_author_may_set_the_minimum_time_and_links_need_none(regions) -> None:
    course = build_course([ActivityKind.PAGE, ActivityKind.LINK])
    enrolment = enrol(course)
    page, link = course.activities.order_by("position")
    page.completion = {"open": True, "min_seconds": 120}
    page.save()
    with pytest.raises(ValidationFailed):
        read(enrolment, page, seconds=60)
    assert read(enrolment, page, seconds=121).state == ProgressState.COMPLETED
    assert read(enrolment, link, seconds=0).state == ProgressState.COMPLETED


def test_completing_needs_an_opening_and_fits_only_pages_documents_links(video_enrolment) -> None:
    enrolment, video = video_enrolment
    page = enrolment.offering.course.activities.get(kind=ActivityKind.PAGE)
    with pytest.raises(ValidationFailed) as raised:
        actions.activity_complete(acting_user=enrolment.teacher.user, enrolment=enrolment, activity=page)
    assert raised.value.code == "not_opened"
    with pytest.raises(ValidationFailed) as raised:
        read(enrolment, video)
    assert raised.value.code == "not_completable"
    assert not ActivityProgress.objects.filter(state=ProgressState.COMPLETED).exists()


# --- Open dates ----------------------------------------------------------------------------------
def test_learning_only_while_open(regions) -> None:
    course = build_course([ActivityKind.VIDEO, ActivityKind.PAGE])
    future = make_period(starts_on=timezone.localdate() + dt.timedelta(days=5), code="1701")
    enrolment = enrol(course, period=future)
    video, page = course.activities.order_by("position")
    with pytest.raises(ValidationFailed) as raised:
        start(enrolment, video)
    assert raised.value.code == "not_open"
    actions.activity_open(acting_user=enrolment.teacher.user, enrolment=enrolment, activity=page)
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.SELECTED  # viewing a closed course records nothing
    assert not Statement.objects.filter(actor=enrolment.teacher.user).exists()
    assert not ActivityProgress.objects.filter(enrolment=enrolment).exists()


def close(enrolment):
    period = enrolment.offering.period
    period.closed_at = timezone.now()
    period.save()
    enrolment.offering.period.closed_at = period.closed_at


def test_heartbeats_stop_counting_when_the_period_closes(video_enrolment) -> None:
    enrolment, video = video_enrolment
    pid = start(enrolment, video)["playback"]
    actions.heartbeats_apply(playback_id=pid, beats=beats((0, 10)), now=later(pid, 12))
    close(enrolment)
    with pytest.raises(Conflict) as raised:
        actions.heartbeats_apply(playback_id=pid, beats=beats((10, 95), start_seq=1), now=later(pid, 100))
    assert raised.value.code == "closed"
    assert progress_of(enrolment, video).seconds_watched == 10


def test_a_closed_periods_results_are_final(regions) -> None:
    course = build_course()
    enrolment = enrol(course)
    open_pages(enrolment, 2)
    enrolment.status = EnrolmentStatus.FAILED
    enrolment.save()
    close(enrolment)
    with pytest.raises(ValidationFailed) as raised:
        read(enrolment, course.activities.all()[3])
    assert raised.value.code == "closed"
    # Even if a completion slipped in, the result would not change.
    ActivityProgress.objects.filter(enrolment=enrolment).update(state=ProgressState.COMPLETED)
    ActivityProgress.objects.bulk_create(
        [
            ActivityProgress(enrolment=enrolment, activity=a, state=ProgressState.COMPLETED)
            for a in course.activities.all()[2:]
        ]
    )
    actions.enrolment_reevaluate(enrolment, now=timezone.now())
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.hours_earned) == (EnrolmentStatus.FAILED, None)


# --- Abuse of the heartbeat ----------------------------------------------------------------------
def test_sequence_numbers_far_ahead_are_refused_and_old_ones_ignored(video_enrolment) -> None:
    enrolment, video = video_enrolment
    pid = start(enrolment, video)["playback"]
    with pytest.raises(ValidationFailed):
        actions.heartbeats_apply(playback_id=pid, beats=beats((0, 5), start_seq=5000), now=later(pid, 10))
    # Walk the window forward: only a bounded set of numbers is ever stored.
    for seq in range(0, 1500, 300):
        actions.heartbeats_apply(playback_id=pid, beats=beats((0, 1), start_seq=seq), now=later(pid, 10 + seq))
    playback = Playback.objects.get(pk=pid)
    assert playback.seq_high == 1200
    assert all(n > 1200 - actions.SEQ_WINDOW for n in playback.seqs)
    # A beat older than the window counts as applied: nothing is credited for it.
    result = actions.heartbeats_apply(playback_id=pid, beats=beats((50, 60), start_seq=3), now=later(pid, 2000))
    assert result["applied"] == []


def test_stored_events_are_bounded_by_wall_time_and_client_times_clamped(video_enrolment) -> None:
    enrolment, video = video_enrolment
    pid = start(enrolment, video)["playback"]
    raw = [
        {"seq": i, "start": 0, "end": 0, "position": 0, "event": "seek", "at": 0}  # 1970: backdated
        for i in range(200)
    ]
    actions.heartbeats_apply(playback_id=pid, beats=actions.beats_parse(raw), now=later(pid, 5))
    stored = Statement.objects.filter(verb="seeked")
    assert stored.count() == actions.EVENTS_FREE + 5
    started = Playback.objects.get(pk=pid).started_at
    assert all(at >= started for at in stored.values_list("timestamp", flat=True))


def test_old_playbacks_are_pruned_when_the_learner_plays_again(video_enrolment) -> None:
    enrolment, video = video_enrolment
    old = start(enrolment, video)["playback"]
    Playback.objects.filter(pk=old).update(started_at=timezone.now() - dt.timedelta(days=2))
    start(enrolment, video)
    assert not Playback.objects.filter(pk=old).exists()
    assert Playback.objects.filter(user=enrolment.teacher.user).count() == 1


def test_retake_dates_override_the_period(regions) -> None:
    course = build_course([ActivityKind.VIDEO])
    past = make_period(starts_on=timezone.localdate() - dt.timedelta(days=100), days=30, code="1601")
    enrolment = enrol(
        course,
        period=past,
        opens_on=timezone.localdate() - dt.timedelta(days=1),
        closes_on=timezone.localdate() + dt.timedelta(days=10),
    )
    assert start(enrolment, course.activities.get())["playback"]


def test_unpaid_enrolments_cannot_play(video_enrolment) -> None:
    enrolment, video = video_enrolment
    enrolment.fee_status = FeeStatus.UNPAID
    with pytest.raises(ValidationFailed) as raised:
        start(enrolment, video)
    assert raised.value.code == "unpaid"


def test_not_ready_videos_cannot_play(regions) -> None:
    course = build_course([])
    chapter = course.chapters.get()
    video = add_activity(chapter, ActivityKind.VIDEO, hls_playlist="", duration_seconds=None)
    enrolment = enrol(course)
    with pytest.raises(ValidationFailed) as raised:
        start(enrolment, video)
    assert raised.value.code == "not_ready"
    with pytest.raises(ValidationFailed):
        start(enrolment, add_activity(chapter, ActivityKind.PAGE))


# --- Recompute after a rule change ---------------------------------------------------------------
def test_recompute_previews_then_applies(regions) -> None:
    course = build_course()
    enrolments = [enrol(course) for _ in range(3)]
    open_pages(enrolments[0], 3)  # passes at 60%
    open_pages(enrolments[1], 2)  # would pass at 40%
    offering = enrolments[0].offering
    offering.pass_rule = {"required_ratio": "0.4", "assignment_required": True}
    offering.save()
    admin = UserFactory()
    preview = actions.period_recompute(acting_user=admin, period=offering.period, apply=False)
    assert preview == {"total": 3, "unchanged": 2, "newly_passed": 1, "no_longer_passed": 0}
    enrolments[1].refresh_from_db()
    assert enrolments[1].status == EnrolmentStatus.LEARNING  # preview wrote nothing
    offering.pass_rule = {"required_ratio": "0.8", "assignment_required": True}
    offering.save()
    preview = actions.period_recompute(acting_user=admin, period=offering.period, apply=False)
    assert preview == {"total": 3, "unchanged": 2, "newly_passed": 0, "no_longer_passed": 1}
    applied = actions.period_recompute(acting_user=admin, period=offering.period, apply=True)
    assert applied == preview
    enrolments[0].refresh_from_db()
    assert enrolments[0].status == EnrolmentStatus.LEARNING
    assert enrolments[0].hours_earned is None


def test_heartbeat_locks_only_its_own_rows(video_enrolment) -> None:
    """Every learner watching a video shares its activity row: the heartbeat must never lock it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    enrolment, video = video_enrolment
    pid = start(enrolment, video)["playback"]
    with CaptureQueriesContext(connection) as captured:
        actions.heartbeats_apply(playback_id=pid, beats=beats((0, 10)), now=later(pid, 12))
    locks = [q["sql"] for q in captured if "FOR UPDATE" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(locks) == 1
        assert locks[0].rstrip().endswith("FOR UPDATE OF p, pr")  # the playback and its progress row
    else:
        assert locks == []  # SQLite has no row locks; IMMEDIATE transactions serialise writers


def test_the_recompute_preview_locks_and_writes_nothing(regions) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    enrolment = enrol(build_course())
    open_pages(enrolment, 2)
    offering = enrolment.offering
    offering.pass_rule = {"required_ratio": "0.4", "assignment_required": True}
    offering.save()
    admin = UserFactory()
    with CaptureQueriesContext(connection) as captured:
        counts = actions.period_recompute(acting_user=admin, period=offering.period, apply=False)
    assert counts["newly_passed"] == 1
    sql = [q["sql"].upper() for q in captured]
    assert not any("FOR UPDATE" in q or q.startswith(("UPDATE", "INSERT", "DELETE")) for q in sql)
