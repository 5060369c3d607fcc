"""Reads for learners: 学习中心, the course page with its checklist, and the pass evaluation."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import get_language
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


@dataclass(frozen=True)
class Outline:
    """A course's structure, read and rendered once per change of the course (per process and
    language): the course page then only fills in the learner's states. Rows carry the
    placeholders __BASE__ (the enrolment's activity URL prefix) and __STATE_<id>__."""

    facts: tuple[ActivityFacts, ...]
    order: tuple[int, ...]
    titles: dict[int, str]
    durations: dict[int, int | None]
    html: str


_OUTLINES: OrderedDict[tuple[Any, ...], Outline] = OrderedDict()
_OUTLINES_LOCK = threading.Lock()  # granian serves each process's requests on several threads
OUTLINE_CACHE_SIZE = 256
STATE_PLACEHOLDER = re.compile(r"__STATE_(\d+)__")


_VERSION_SQL = (
    "SELECT (SELECT structure_version FROM catalog_course WHERE id = %s),"
    " (SELECT COUNT(*) FROM catalog_activity WHERE course_id = %s),"
    " (SELECT MAX(updated_at) FROM catalog_activity WHERE course_id = %s),"
    " (SELECT COUNT(*) FROM catalog_chapter WHERE course_id = %s),"
    " (SELECT MAX(updated_at) FROM catalog_chapter WHERE course_id = %s)"
)


def _outline_version(course_id: int) -> tuple[Any, ...]:
    """Changes whenever a chapter or activity of the course is added, changed or removed. Plain
    SQL: the ORM would spend longer compiling these subqueries than the database runs them."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL, [course_id] * 5)
        return tuple(cursor.fetchone() or ())


def course_outline(course_id: int) -> Outline:
    key = (course_id, get_language(), *_outline_version(course_id))
    with _OUTLINES_LOCK:
        cached = _OUTLINES.get(key)
        if cached is not None:
            _OUTLINES.move_to_end(key)
            return cached
    kind_labels = dict(ActivityKind.choices)
    chapters = {
        pk: ChapterRow(pk, title)
        for pk, title in Chapter.objects.filter(course_id=course_id)
        .order_by("position", "pk")
        .values_list("pk", "title")
    }
    facts: list[ActivityFacts] = []
    titles: dict[int, str] = {}
    durations: dict[int, int | None] = {}
    activities = (
        Activity.objects.filter(course_id=course_id)
        .order_by("position", "pk")
        .values_list("pk", "chapter_id", "kind", "title", "required", "duration_seconds")
    )
    for pk, chapter_id, kind, title, required, duration in activities:
        chapter = chapters.get(chapter_id)
        if chapter is None:
            continue
        chapter.activities.append(
            ActivityRow(
                pk, kind, str(kind_labels.get(kind, kind)), title, required, ProgressState.NOT_STARTED, duration
            )
        )
        titles[pk] = title
        durations[pk] = duration
    order = tuple(row.id for chapter in chapters.values() for row in chapter.activities)
    by_id = {row.id: row for chapter in chapters.values() for row in chapter.activities}
    facts = [ActivityFacts(pk, by_id[pk].kind, by_id[pk].required) for pk in order]
    html = render_to_string("learning/_outline.html", {"chapters": list(chapters.values())})
    outline = Outline(tuple(facts), order, titles, durations, html)
    with _OUTLINES_LOCK:
        _OUTLINES[key] = outline
        while len(_OUTLINES) > OUTLINE_CACHE_SIZE:
            _OUTLINES.popitem(last=False)
    return outline


def _state_badge(state: str, watched: float, duration: int | None) -> str:
    label = STATE_LABELS[ProgressState(state)]
    if state == ProgressState.COMPLETED:
        return f'<span class="badge text-bg-success" data-testid="activity-state">{label}</span>'
    if state == ProgressState.IN_PROGRESS:
        percent = f" {min(100, int(100 * watched / duration))}%" if duration else ""
        return f'<span class="badge text-bg-primary" data-testid="activity-state">{label}{percent}</span>'
    return f'<span class="badge text-bg-light" data-testid="activity-state">{label}</span>'


@dataclass
class RemainingItem:
    id: int
    title: str


@dataclass
class CoursePage:
    enrolment: Enrolment
    outline_html: str
    evaluation: PassEvaluation
    remaining: list[RemainingItem]  # required activities not yet completed, in course order
    resume: RemainingItem | None
    status: str
    status_label: Any


def course_page(enrolment: Enrolment, *, base_url: str) -> CoursePage:
    """Chapters, each activity's state, the checklist and where to continue, in a number of
    queries that does not grow with the course (the outline is cached per course version)."""
    outline = course_outline(enrolment.offering.course_id)
    progress = {
        activity_id: (state, watched)
        for activity_id, state, watched in ActivityProgress.objects.filter(enrolment=enrolment).values_list(
            "activity_id", "state", "seconds_watched"
        )
    }
    completed = {pk for pk, (state, _w) in progress.items() if state == ProgressState.COMPLETED}
    evaluation = evaluate(
        enrolment.offering.pass_rule,
        outline.facts,
        completed,
        {f.activity_id for f in outline.facts if f.kind == ASSIGNMENT and f.activity_id in completed},
    )
    not_started = _state_badge(ProgressState.NOT_STARTED, 0, None)
    badges = {pk: _state_badge(state, watched, outline.durations.get(pk)) for pk, (state, watched) in progress.items()}
    html = STATE_PLACEHOLDER.sub(lambda m: badges.get(int(m[1]), not_started), outline.html)
    html = html.replace("__BASE__", escape(base_url))
    required = {f.activity_id for f in outline.facts if f.required}
    remaining = [
        RemainingItem(pk, outline.titles[pk]) for pk in outline.order if pk in required and pk not in completed
    ]
    resume = None
    if enrolment.last_activity_id in outline.titles:
        resume = RemainingItem(enrolment.last_activity_id, outline.titles[enrolment.last_activity_id])
    elif remaining:
        resume = remaining[0]
    status = learner_status(enrolment)
    return CoursePage(
        enrolment=enrolment,
        outline_html=html,
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
