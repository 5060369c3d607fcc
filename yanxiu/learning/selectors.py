"""Reads for learners: 学习中心, the course page with its checklist, and the pass evaluation."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yanxiu.catalog.models import Activity, ActivityKind, Chapter
from yanxiu.learning.models import ActivityProgress, ProgressState
from yanxiu.learning.pass_rules import ASSIGNMENT, ActivityFacts, PassEvaluation, evaluate
from yanxiu.training.models import Enrolment, EnrolmentStatus


# --- Pass evaluation -----------------------------------------------------------------------------
def course_facts(course_id: int) -> list[ActivityFacts]:
    return [
        ActivityFacts(pk, kind, required)
        for pk, kind, required in Activity.objects.filter(course_id=course_id).values_list("pk", "kind", "required")
    ]


def completed_by_enrolment(enrolment_ids: Iterable[int]) -> dict[int, set[int]]:
    """Completed activity ids per enrolment, in one query."""
    done: dict[int, set[int]] = defaultdict(set)
    rows = ActivityProgress.objects.filter(
        enrolment_id__in=list(enrolment_ids), state=ProgressState.COMPLETED
    ).values_list("enrolment_id", "activity_id")
    for enrolment_id, activity_id in rows:
        done[enrolment_id].add(activity_id)
    return done


def evaluate_enrolment(
    enrolment: Enrolment, *, facts: list[ActivityFacts] | None = None, completed: set[int] | None = None
) -> PassEvaluation:
    """The offering's pass rule applied to what the learner has completed. Every kind of activity
    reports its completion as a progress row; an assignment's row is completed when it is passed."""
    if facts is None:
        facts = course_facts(enrolment.offering.course_id)
    if completed is None:
        completed = completed_by_enrolment([enrolment.pk]).get(enrolment.pk, set())
    assignments = {f.activity_id for f in facts if f.kind == ASSIGNMENT}
    return evaluate(enrolment.offering.pass_rule, facts, completed, completed & assignments)


# --- 学习中心 ------------------------------------------------------------------------------------
STATUS_LABELS = {
    "not_started": _("未开始"),
    "learning": _("学习中"),
    "passed": _("已通过"),
    "failed": _("未通过"),
}


def learner_status(enrolment: Enrolment) -> str:
    if enrolment.status == EnrolmentStatus.PASSED:
        return "passed"
    if enrolment.status == EnrolmentStatus.FAILED:
        return "failed"
    if enrolment.started_at is None:
        return "not_started"
    return "learning"


@dataclass
class CourseCard:
    enrolment: Enrolment
    status: str
    status_label: Any
    opened: bool
    ended: bool

    @property
    def course(self) -> Any:
        return self.enrolment.offering.course

    @property
    def period(self) -> Any:
        return self.enrolment.offering.period


@dataclass
class LearningCenter:
    current: list[CourseCard] = field(default_factory=list)  # open now
    upcoming: list[CourseCard] = field(default_factory=list)  # not opened yet
    past: list[CourseCard] = field(default_factory=list)  # ended
    opened_count: int = 0
    passed_count: int = 0
    hours_earned: Any = 0
    average_progress: int = 0


def learning_center(user: Any, *, today: dt.date | None = None) -> LearningCenter:
    """My courses with status and progress. Counts cover only courses that have opened."""
    from yanxiu.learning.permissions import enrolments_of

    today = today or timezone.localdate()
    center = LearningCenter()
    rows = (
        enrolments_of(user)
        .select_related("offering__course", "offering__period__project")
        .order_by("-offering__period__starts_on", "offering__course__category", "offering__course__code")
    )
    progress_sum = 0
    hours = Decimal(0)
    for enrolment in rows:
        status = learner_status(enrolment)
        opened = enrolment.open_from <= today
        ended = today > enrolment.open_until
        card = CourseCard(enrolment, status, STATUS_LABELS[status], opened, ended)
        if not opened:
            center.upcoming.append(card)
            continue
        center.opened_count += 1
        progress_sum += enrolment.progress
        if status == "passed":
            center.passed_count += 1
            hours += enrolment.hours_earned or 0
        (center.past if ended else center.current).append(card)
    center.hours_earned = hours
    center.average_progress = round(progress_sum / center.opened_count) if center.opened_count else 0
    return center


# --- The course page -----------------------------------------------------------------------------
STATE_LABELS = {
    ProgressState.NOT_STARTED: _("未开始"),
    ProgressState.IN_PROGRESS: _("学习中"),
    ProgressState.COMPLETED: _("已完成"),
}


@dataclass
class ActivityRow:
    id: int
    kind: str
    kind_label: str
    title: str
    required: bool
    state: str
    duration_seconds: int | None
    seconds_watched: float = 0

    @property
    def state_label(self) -> Any:
        return STATE_LABELS[ProgressState(self.state)]

    @property
    def watched_percent(self) -> int:
        if not self.duration_seconds:
            return 0
        return min(100, int(100 * self.seconds_watched / self.duration_seconds))


@dataclass
class ChapterRow:
    id: int
    title: str
    activities: list[ActivityRow] = field(default_factory=list)


@dataclass
class CoursePage:
    enrolment: Enrolment
    chapters: list[ChapterRow]
    evaluation: PassEvaluation
    remaining: list[ActivityRow]  # required activities not yet completed, in course order
    resume: ActivityRow | None
    status: str
    status_label: Any


def course_page(enrolment: Enrolment) -> CoursePage:
    """Chapters, each activity's state, the checklist and where to continue: four queries
    whatever the size of the course."""
    course_id = enrolment.offering.course_id
    kind_labels = dict(ActivityKind.choices)
    chapters = {
        pk: ChapterRow(pk, title)
        for pk, title in Chapter.objects.filter(course_id=course_id)
        .order_by("position", "pk")
        .values_list("pk", "title")
    }
    progress = {
        activity_id: (state, watched)
        for activity_id, state, watched in ActivityProgress.objects.filter(enrolment=enrolment).values_list(
            "activity_id", "state", "seconds_watched"
        )
    }
    facts: list[ActivityFacts] = []
    activities = (
        Activity.objects.filter(course_id=course_id)
        .order_by("position", "pk")
        .values_list("pk", "chapter_id", "kind", "title", "required", "duration_seconds")
    )
    for pk, chapter_id, kind, title, required, duration in activities:
        state, watched = progress.get(pk, (ProgressState.NOT_STARTED, 0.0))
        row = ActivityRow(pk, kind, str(kind_labels.get(kind, kind)), title, required, state, duration, watched)
        chapter = chapters.get(chapter_id)
        if chapter is not None:
            chapter.activities.append(row)
        facts.append(ActivityFacts(pk, kind, required))
    ordered = [row for chapter in chapters.values() for row in chapter.activities]
    completed = {row.id for row in ordered if row.state == ProgressState.COMPLETED}
    evaluation = evaluate(
        enrolment.offering.pass_rule,
        facts,
        completed,
        {f.activity_id for f in facts if f.kind == ASSIGNMENT and f.activity_id in completed},
    )
    remaining = [row for row in ordered if row.required and row.state != ProgressState.COMPLETED]
    resume = next((row for row in ordered if row.id == enrolment.last_activity_id), None)
    if resume is None:
        resume = remaining[0] if remaining else None
    status = learner_status(enrolment)
    return CoursePage(
        enrolment=enrolment,
        chapters=list(chapters.values()),
        evaluation=evaluation,
        remaining=remaining,
        resume=resume,
        status=status,
        status_label=STATUS_LABELS[status],
    )


def popup_courses(user: Any, *, today: dt.date | None = None) -> list[CourseCard]:
    """The courses listed in the pop-up at login: those open now and not yet passed first."""
    center = learning_center(user, today=today)
    return sorted(center.current, key=lambda c: (c.status == "passed", c.enrolment.progress))
