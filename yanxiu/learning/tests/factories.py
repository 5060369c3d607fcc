"""Courses with activities, periods and enrolments for learning tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from yanxiu.catalog.models import Activity, ActivityKind, Chapter, Course, MediaStatus
from yanxiu.catalog.tests.factories import CourseFactory
from yanxiu.org.models import Teacher
from yanxiu.org.tests.factories import TeacherFactory, region
from yanxiu.training.models import DEFAULT_PASS_RULE, Enrolment, Offering, Period, Project


def add_activity(chapter: Chapter, kind: str = ActivityKind.PAGE, *, required: bool = True, **fields: Any) -> Activity:
    position = chapter.activities.count()
    defaults: dict[str, Any] = {"title": f"{chapter.title}-活动{position + 1}", "completion": {"open": True}}
    if kind in (ActivityKind.VIDEO, ActivityKind.MICRO_LESSON):
        defaults |= {
            "hls_playlist": f"hls/test/{chapter.pk}-{position}/index.m3u8",
            "duration_seconds": 100,
            "media_status": MediaStatus.READY,
            "completion": {"watch_ratio": "0.9"},
        }
    if kind == ActivityKind.PAGE:
        defaults["body_html"] = "<p>正文</p>"
    return Activity.objects.create(
        chapter=chapter, course=chapter.course, kind=kind, required=required, position=position, **(defaults | fields)
    )


def build_course(kinds: list[str] | None = None, *, optional: int = 0, **course_fields: Any) -> Course:
    """A published course with one chapter holding required activities of `kinds` (pages by
    default) followed by `optional` optional pages."""
    course = CourseFactory(**course_fields)
    chapter = Chapter.objects.create(course=course, title="第一章", position=0)
    for kind in kinds if kinds is not None else [ActivityKind.PAGE] * 5:
        add_activity(chapter, kind)
    for _ in range(optional):
        add_activity(chapter, ActivityKind.PAGE, required=False)
    return course


def make_period(*, starts_on: dt.date | None = None, days: int = 60, code: str = "1602") -> Period:
    project, _ = Project.objects.get_or_create(
        code="NLTS", defaults={"name": "能力提升工程", "organiser": region("440100"), "scheme": {}}
    )
    starts_on = starts_on or timezone.localdate() - dt.timedelta(days=1)
    return Period.objects.create(
        project=project, code=code, starts_on=starts_on, ends_on=starts_on + dt.timedelta(days=days)
    )


def enrol(
    course: Course,
    teacher: Teacher | None = None,
    *,
    period: Period | None = None,
    pass_rule: dict[str, Any] | None = None,
    **fields: Any,
) -> Enrolment:
    period = period or Period.objects.filter(code="1602").first() or make_period()
    offering, _ = Offering.objects.get_or_create(
        period=period, course=course, defaults={"pass_rule": pass_rule or dict(DEFAULT_PASS_RULE)}
    )
    if pass_rule is not None and offering.pass_rule != pass_rule:
        offering.pass_rule = pass_rule
        offering.save()
    return Enrolment.objects.create(teacher=teacher or TeacherFactory(), offering=offering, **fields)


HOURS = Decimal("10")
