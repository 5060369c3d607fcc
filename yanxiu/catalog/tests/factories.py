from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from yanxiu.catalog.models import (
    PLAYABLE_KINDS,
    Activity,
    ActivityKind,
    Chapter,
    Course,
    CourseCategory,
    CourseStatus,
)


class CourseFactory(DjangoModelFactory):
    class Meta:
        model = Course

    code = factory.Sequence(lambda n: f"C{n:06d}")
    title = factory.Sequence(lambda n: f"测试课程{n}")
    category = CourseCategory.ELECTIVE
    credit_hours = Decimal("10")
    status = CourseStatus.PUBLISHED


class ChapterFactory(DjangoModelFactory):
    class Meta:
        model = Chapter

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"第{n}章")
    position = factory.Sequence(lambda n: n)


class ActivityFactory(DjangoModelFactory):
    """A page activity by default (no media); pass kind= and media fields for others."""

    class Meta:
        model = Activity

    chapter = factory.SubFactory(ChapterFactory)
    course = factory.LazyAttribute(lambda o: o.chapter.course)
    kind = ActivityKind.PAGE
    title = factory.Sequence(lambda n: f"学习活动{n}")
    position = factory.Sequence(lambda n: n)
    required = True
    completion = factory.LazyAttribute(lambda o: {"watch_ratio": "0.9"} if o.kind in PLAYABLE_KINDS else {"open": True})
    body_html = factory.LazyAttribute(lambda o: "<p>正文</p>" if o.kind == ActivityKind.PAGE else "")


def course_author(**kwargs):
    from yanxiu.org.models import Role
    from yanxiu.org.tests.factories import user_with_role

    return user_with_role(Role.COURSE_AUTHOR, **kwargs)


def draft_course_of(author, **kwargs) -> Course:
    return CourseFactory(created_by=author, status=CourseStatus.DRAFT, **kwargs)
