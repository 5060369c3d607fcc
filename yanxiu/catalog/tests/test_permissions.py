"""Who may author which courses, and which courses are visible."""

import pytest

from yanxiu.catalog import permissions
from yanxiu.catalog.models import CourseStatus
from yanxiu.catalog.tests.factories import (
    ActivityFactory,
    ChapterFactory,
    CourseFactory,
    course_author,
    draft_course_of,
)
from yanxiu.core.errors import NotFound, PermissionDenied
from yanxiu.org.models import Role
from yanxiu.org.tests.factories import TeacherFactory, UserFactory, district_admin, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(regions):
    alice, bob = course_author(), course_author()
    mine = draft_course_of(alice)
    theirs = draft_course_of(bob)
    chapter = ChapterFactory(course=theirs)
    return {"alice": alice, "bob": bob, "mine": mine, "theirs": theirs, "activity": ActivityFactory(chapter=chapter)}


def test_author_edits_only_their_own_courses(world) -> None:
    alice = world["alice"]
    assert list(permissions.courses_editable_by(alice)) == [world["mine"]]
    assert permissions.access_course_for_edit(alice, world["mine"].pk) == world["mine"]
    with pytest.raises(NotFound):
        permissions.access_course_for_edit(alice, world["theirs"].pk)
    with pytest.raises(NotFound):
        permissions.access_chapter_for_edit(alice, world["activity"].chapter_id)
    with pytest.raises(NotFound):
        permissions.access_activity_for_edit(alice, world["activity"].pk)
    assert permissions.access_activity_for_edit(world["bob"], world["activity"].pk) == world["activity"]


def test_system_admin_edits_every_course(world) -> None:
    admin = user_with_role(Role.SYSTEM_ADMIN)
    assert set(permissions.courses_editable_by(admin)) == {world["mine"], world["theirs"]}
    assert permissions.access_activity_for_edit(admin, world["activity"].pk) == world["activity"]


@pytest.mark.parametrize("who", ["learner", "district_admin", "reviewer", "tutor", "nobody"])
def test_other_roles_author_nothing(world, who) -> None:
    user = {
        "learner": lambda: TeacherFactory().user,
        "district_admin": lambda: district_admin("440105"),
        "reviewer": lambda: user_with_role(Role.COURSE_REVIEWER),
        "tutor": lambda: user_with_role(Role.TUTOR, region_code="440105"),
        "nobody": UserFactory,
    }[who]()
    assert not permissions.can_author(user)
    assert not permissions.courses_editable_by(user).exists()
    with pytest.raises(PermissionDenied):
        permissions.require_author(user)
    with pytest.raises(NotFound):
        permissions.access_course_for_edit(user, world["mine"].pk)
    with pytest.raises(NotFound):
        permissions.access_course_for_edit(user, "not-a-number")


def test_published_courses_are_visible_to_signed_in_users(world) -> None:
    published = CourseFactory(status=CourseStatus.PUBLISHED)
    CourseFactory(status=CourseStatus.RETIRED)
    learner = TeacherFactory().user
    assert list(permissions.courses_visible_to(learner)) == [published]
    from django.contrib.auth.models import AnonymousUser

    assert not permissions.courses_visible_to(AnonymousUser()).exists()


def test_document_originals_need_the_course_published_or_editable(world) -> None:
    learner = TeacherFactory().user
    activity = world["activity"]
    with pytest.raises(NotFound):
        permissions.access_activity_original(learner, activity.pk)
    assert permissions.access_activity_original(world["bob"], activity.pk) == activity
    activity.course.status = CourseStatus.PUBLISHED
    activity.course.save()
    assert permissions.access_activity_original(learner, activity.pk) == activity
