"""Factories for training. Everything is synthetic."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from yanxiu.catalog.tests.factories import CourseFactory
from yanxiu.core.models import AuditEvent
from yanxiu.org.tests.factories import region
from yanxiu.training.models import DEFAULT_PASS_RULE, Enrolment, EnrolmentSource, Klass, Offering, Period, Project

SCHEME = {
    "total_hours": "50",
    "categories": {"general_required": "8", "subject_required": "18", "online_research": "16", "elective": "8"},
    "practice_share": "0.5",
}


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"测试项目{n}")
    organiser = factory.LazyFunction(lambda: region("440100"))
    scheme = factory.LazyFunction(lambda: dict(SCHEME))


class PeriodFactory(DjangoModelFactory):
    """A running period whose selection window is open now."""

    class Meta:
        model = Period

    project = factory.SubFactory(ProjectFactory)
    code = factory.Sequence(lambda n: f"{1600 + n}")
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=50))
    selection_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    selection_closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


def past_period(project: Project, code: str, *, days_ago: int = 200, **kwargs: Any) -> Period:
    start = timezone.localdate() - dt.timedelta(days=days_ago)
    return PeriodFactory(
        project=project,
        code=code,
        starts_on=start,
        ends_on=start + dt.timedelta(days=60),
        selection_opens_at=None,
        selection_closes_at=None,
        **kwargs,
    )


class OfferingFactory(DjangoModelFactory):
    class Meta:
        model = Offering

    period = factory.SubFactory(PeriodFactory)
    course = factory.SubFactory(CourseFactory, all_stages=True, all_subjects=True)
    pass_rule = factory.LazyFunction(lambda: dict(DEFAULT_PASS_RULE))


class KlassFactory(DjangoModelFactory):
    class Meta:
        model = Klass

    offering = factory.SubFactory(OfferingFactory)
    name = factory.Sequence(lambda n: f"测试班{n}")


class EnrolmentFactory(DjangoModelFactory):
    class Meta:
        model = Enrolment

    offering = factory.SubFactory(OfferingFactory)
    source = EnrolmentSource.ASSIGNED


def training_snapshot() -> tuple:
    """Everything training holds, and the audit log's length: a denied request changes none of it."""
    return (
        list(Project.objects.order_by("pk").values()),
        list(Period.objects.order_by("pk").values()),
        list(Offering.objects.order_by("pk").values()),
        list(Klass.objects.order_by("pk").values()),
        list(Enrolment.objects.order_by("pk").values()),
        AuditEvent.objects.exclude(action__startswith="login").count(),
    )
