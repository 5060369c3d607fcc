"""Reads for learners: 学习中心, the course page with its checklist, and the pass evaluation."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yanxiu.catalog.models import Activity, ActivityKind, Chapter, CourseCategory
from yanxiu.learning.models import ActivityProgress, ProgressState
from yanxiu.learning.pass_rules import ASSIGNMENT, ActivityFacts, PassEvaluation, evaluate
from yanxiu.learning.sqlvalues import as_date, as_decimal
from yanxiu.training.formats import hours_text
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


def _learner_status(status: str, started_at: dt.datetime | None) -> str:
    if status == EnrolmentStatus.PASSED:
        return "passed"
    if status == EnrolmentStatus.FAILED:
        return "failed"
    if started_at is None:
        return "not_started"
    return "learning"


def learner_status(enrolment: Enrolment) -> str:
    return _learner_status(enrolment.status, enrolment.started_at)


STATUS_BADGES = {"passed": "text-bg-success", "failed": "text-bg-danger", "learning": "text-bg-primary"}


@dataclass(frozen=True)
class CourseCard:
    """One course in 学习中心, flattened: the page shows 20 of them per learner on every visit."""

    enrolment_id: int
    title: str
    category_label: Any
    credit_hours: str
    project_name: str
    period_code: str
    retake: bool
    status: str
    status_label: Any
    progress: int
    hours_earned: str
    open_from: dt.date
    open_until: dt.date

    @property
    def badge(self) -> str:
        return STATUS_BADGES.get(self.status, "text-bg-secondary")


@dataclass
class LearningCenter:
    current: list[CourseCard] = field(default_factory=list)  # open now
    upcoming: list[CourseCard] = field(default_factory=list)  # not opened yet
    past: list[CourseCard] = field(default_factory=list)  # ended
    opened_count: int = 0
    passed_count: int = 0
    hours_earned: str = "0"
    average_progress: int = 0


# 学习中心's one query, in plain SQL: it runs on every visit, and the ORM took longer to build it
# than the database to run it. Same order as before: newest period first, then category and code.
_CENTER_SQL = """
SELECT e.id, e.status, e.started_at, e.progress, e.hours_earned, e.source, e.opens_on, e.closes_on,
       c.title, c.category, c.credit_hours, per.code, per.starts_on, per.ends_on, pr.name
FROM training_enrolment e
JOIN org_teacher t ON t.id = e.teacher_id
JOIN training_offering o ON o.id = e.offering_id
JOIN catalog_course c ON c.id = o.course_id
JOIN training_period per ON per.id = o.period_id
JOIN training_project pr ON pr.id = per.project_id
WHERE t.user_id = %s
ORDER BY per.starts_on DESC, c.category, c.code
"""


def learning_center(user: Any, *, today: dt.date | None = None) -> LearningCenter:
    """My courses with status and progress. Counts cover only courses that have opened. One query
    of plain columns, whatever the number of enrolments."""
    today = today or timezone.localdate()
    center = LearningCenter()
    categories = dict(CourseCategory.choices)
    if not getattr(user, "is_authenticated", False):
        return center
    with connection.cursor() as cursor:
        cursor.execute(_CENTER_SQL, [user.pk])
        rows = cursor.fetchall()
    progress_sum = 0
    hours = Decimal(0)
    for (
        pk, status_code, started_at, progress, hours_earned, source, opens_on, closes_on,
        title, category, credit_hours, period_code, starts_on, ends_on, project_name,
    ) in rows:  # fmt: skip
        status = _learner_status(status_code, started_at)
        open_from, open_until = as_date(opens_on or starts_on), as_date(closes_on or ends_on)
        credit_hours = as_decimal(credit_hours)
        hours_earned = as_decimal(hours_earned)
        card = CourseCard(
            enrolment_id=pk,
            title=title,
            category_label=categories.get(category, category),
            credit_hours=hours_text(credit_hours),
            project_name=project_name,
            period_code=period_code,
            retake=source == "retake",
            status=status,
            status_label=STATUS_LABELS[status],
            progress=progress,
            hours_earned=hours_text(hours_earned),
            open_from=open_from,
            open_until=open_until,
        )
        if open_from > today:
            center.upcoming.append(card)
            continue
        center.opened_count += 1
        progress_sum += progress
        if status == "passed":
            center.passed_count += 1
            hours += hours_earned or 0
        (center.past if today > open_until else center.current).append(card)
    center.hours_earned = hours_text(hours)
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


@dataclass
class ChapterRow:
    id: int
    title: str
    activities: list[ActivityRow] = field(default_factory=list)


@dataclass(frozen=True)
class Outline:
    """A course's structure, read and rendered once per change of the course (per process and
    language): the course page then only fills in the learner's states. Activity links are
    relative to the course page (a/<id>/), so one rendering serves every learner."""

    facts: tuple[ActivityFacts, ...]
    order: tuple[int, ...]
    titles: dict[int, str]
    durations: dict[int, int | None]
    # The rendered outline cut at each activity's state badge: text, activity id, text, ...
    parts: tuple[str | int, ...]


_OUTLINES: OrderedDict[tuple[Any, ...], Outline] = OrderedDict()
_OUTLINES_LOCK = threading.Lock()
_CHECKED: dict[
    tuple[int, str], tuple[float, tuple[Any, ...]]
] = {}  # granian serves each process's requests on several threads
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
    language = get_language()
    now = time.monotonic()
    with _OUTLINES_LOCK:
        # Trust a recently checked version for LEARNING_OUTLINE_RECHECK_SECONDS (one query less).
        checked = _CHECKED.get((course_id, language))
        if checked is not None and now - checked[0] < settings.LEARNING_OUTLINE_RECHECK_SECONDS:
            recent = _OUTLINES.get(checked[1])
            if recent is not None:
                return recent
    key = (course_id, language, *_outline_version(course_id))
    with _OUTLINES_LOCK:
        _CHECKED[(course_id, language)] = (now, key)
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
        chapter.activities.append(ActivityRow(pk, kind, str(kind_labels.get(kind, kind)), title, required))
        titles[pk] = title
        durations[pk] = duration
    order = tuple(row.id for chapter in chapters.values() for row in chapter.activities)
    facts = [
        ActivityFacts(row.id, row.kind, row.required) for chapter in chapters.values() for row in chapter.activities
    ]
    html = render_to_string("learning/_outline.html", {"chapters": list(chapters.values())})
    pieces = STATE_PLACEHOLDER.split(html)  # text, id, text, id, ..., text
    parts = tuple(int(piece) if index % 2 else piece for index, piece in enumerate(pieces))
    outline = Outline(tuple(facts), order, titles, durations, parts)
    with _OUTLINES_LOCK:
        _OUTLINES[key] = outline
        while len(_OUTLINES) > OUTLINE_CACHE_SIZE:
            _OUTLINES.popitem(last=False)
        if len(_CHECKED) > 4 * OUTLINE_CACHE_SIZE:
            _CHECKED.clear()
    return outline


_BADGE = '<span class="badge {css}" data-testid="activity-state">{label}</span>'


def _state_badges() -> tuple[str, str, str]:
    """The not-started, completed and in-progress badges, in the current language."""
    return (
        _BADGE.format(css="text-bg-light", label=escape(STATE_LABELS[ProgressState.NOT_STARTED])),
        _BADGE.format(css="text-bg-success", label=escape(STATE_LABELS[ProgressState.COMPLETED])),
        _BADGE.format(css="text-bg-primary", label=escape(STATE_LABELS[ProgressState.IN_PROGRESS]) + "{percent}"),
    )


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


def course_page(enrolment: Enrolment) -> CoursePage:
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
    not_started, done, in_progress = _state_badges()
    badges: dict[int, str] = {}
    for pk, (state, watched) in progress.items():
        if state == ProgressState.COMPLETED:
            badges[pk] = done
        elif state == ProgressState.IN_PROGRESS:
            duration = outline.durations.get(pk)
            badges[pk] = in_progress.format(percent=f" {min(100, int(100 * watched / duration))}%" if duration else "")
    html = "".join(part if isinstance(part, str) else badges.get(part, not_started) for part in outline.parts)
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
