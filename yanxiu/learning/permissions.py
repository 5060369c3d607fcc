"""Who may learn what: a learner reaches only their own enrolments; everything else is not found."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yanxiu.catalog.models import Activity
from yanxiu.core.errors import NotFound
from yanxiu.training.models import Enrolment


def enrolments_of(user: Any) -> QuerySet[Enrolment]:
    """The signed-in teacher's own enrolments (none for anyone without a teacher record)."""
    if not getattr(user, "is_authenticated", False):
        return Enrolment.objects.none()
    return Enrolment.objects.filter(teacher__user_id=user.pk)


def access_enrolment(user: Any, enrolment_id: int | str) -> Enrolment:
    try:
        return (
            enrolments_of(user)
            .select_related("offering__course", "offering__period__project")
            .get(pk=int(enrolment_id))
        )
    except (Enrolment.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def access_activity(enrolment: Enrolment, activity_id: int | str) -> Activity:
    """An activity of the enrolment's course."""
    try:
        return Activity.objects.get(pk=int(activity_id), course_id=enrolment.offering.course_id)
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
