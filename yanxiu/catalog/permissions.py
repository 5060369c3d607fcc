"""Who may author which courses, and which courses learners may see.

A course author edits the courses they created; a system administrator edits every course. Anyone
else is told an edit page does not exist (404), so other authors' drafts stay unseen.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yanxiu.catalog.models import Activity, Chapter, Checkpoint, Course, CourseStatus
from yanxiu.core.errors import NotFound, PermissionDenied
from yanxiu.org.models import Role
from yanxiu.org.selectors import roles_of

AUTHOR_ROLES = frozenset({Role.COURSE_AUTHOR, Role.SYSTEM_ADMIN})


def _roles(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return {assignment.role for assignment in roles_of(user)}


def can_author(user: Any) -> bool:
    return bool(_roles(user) & AUTHOR_ROLES)


def require_author(user: Any) -> None:
    """For the list and creation pages: anyone who cannot author is told so (403)."""
    if not can_author(user):
        raise PermissionDenied("只有课程作者可以制作课程。")


def courses_editable_by(user: Any) -> QuerySet[Course]:
    roles = _roles(user)
    if Role.SYSTEM_ADMIN in roles:
        return Course.objects.all()
    if Role.COURSE_AUTHOR in roles:
        return Course.objects.filter(created_by=user)
    return Course.objects.none()


def courses_visible_to(user: Any) -> QuerySet[Course]:
    """Published courses, for any signed-in user (enrolment decides who may learn them)."""
    if not getattr(user, "is_authenticated", False):
        return Course.objects.none()
    return Course.objects.filter(status=CourseStatus.PUBLISHED)


def _int(value: int | str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def access_course_for_edit(user: Any, course_id: int | str) -> Course:
    try:
        return courses_editable_by(user).get(pk=_int(course_id))
    except Course.DoesNotExist:
        raise NotFound() from None


def access_chapter_for_edit(user: Any, chapter_id: int | str) -> Chapter:
    try:
        return Chapter.objects.select_related("course").get(pk=_int(chapter_id), course__in=courses_editable_by(user))
    except Chapter.DoesNotExist:
        raise NotFound() from None


def access_activity_for_edit(user: Any, activity_id: int | str) -> Activity:
    try:
        return Activity.objects.select_related("course", "chapter").get(
            pk=_int(activity_id), course__in=courses_editable_by(user)
        )
    except Activity.DoesNotExist:
        raise NotFound() from None


def access_checkpoint_for_edit(user: Any, checkpoint_id: int | str) -> Checkpoint:
    try:
        return Checkpoint.objects.select_related("activity__course").get(
            pk=_int(checkpoint_id), activity__course__in=courses_editable_by(user)
        )
    except Checkpoint.DoesNotExist:
        raise NotFound() from None


def access_activity_original(user: Any, activity_id: int | str) -> Activity:
    """A document's original file (for download): its course's editors, or any signed-in user once
    the course is published."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound()
    try:
        activity = Activity.objects.select_related("course").get(pk=_int(activity_id))
    except Activity.DoesNotExist:
        raise NotFound() from None
    published = activity.course.status == CourseStatus.PUBLISHED
    if published or courses_editable_by(user).filter(pk=activity.course_id).exists():
        return activity
    raise NotFound()
