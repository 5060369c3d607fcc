"""Who manages which projects: the organiser's region decides, and outside the scope is not found."""

import pytest

from yanxiu.core.errors import NotFound, PermissionDenied
from yanxiu.org.models import Role
from yanxiu.org.tests.factories import UserFactory, region, user_with_role
from yanxiu.training import permissions
from yanxiu.training.tests.factories import EnrolmentFactory, OfferingFactory, PeriodFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_district_admin_manages_their_districts_projects_only(world) -> None:
    city_project = ProjectFactory(code="GZ", organiser=region("440100"))
    panyu_project = ProjectFactory(code="PY", organiser=region("440113"))
    assert set(permissions.projects_visible_to(world.admin)) == {world.project}
    assert set(permissions.projects_visible_to(world.other_admin)) == {panyu_project}
    assert set(permissions.projects_visible_to(world.city_admin)) == {world.project, city_project, panyu_project}
    province = user_with_role(Role.PROVINCE_ADMIN, region_code="440000")
    assert permissions.projects_visible_to(province).count() == 3
    system = user_with_role(Role.SYSTEM_ADMIN)
    assert permissions.projects_visible_to(system).count() == 3


@pytest.mark.parametrize("who", ["school_admin", "tutor", "learner", "anonymous"])
def test_non_region_admins_manage_no_projects(world, who) -> None:
    from django.contrib.auth.models import AnonymousUser

    user = {
        "school_admin": world.school_admin,
        "tutor": world.tutor,
        "learner": world.t_haizhu.user,
        "anonymous": AnonymousUser(),
    }[who]
    assert not permissions.projects_visible_to(user).exists()
    assert not permissions.enrolments_visible_to(user).exists()
    with pytest.raises(PermissionDenied):
        permissions.require_project_admin(user)
    with pytest.raises(NotFound):
        permissions.access_project(user, world.project.pk)
    with pytest.raises(NotFound):
        permissions.access_klass(user, world.klass.pk)


def test_access_outside_scope_is_not_found(world) -> None:
    for access, obj in [
        (permissions.access_project, world.project),
        (permissions.access_period, world.period),
        (permissions.access_offering, world.offering),
        (permissions.access_klass, world.klass),
    ]:
        assert access(world.admin, obj.pk) == obj
        assert access(world.city_admin, obj.pk) == obj
        with pytest.raises(NotFound):
            access(world.other_admin, obj.pk)
        with pytest.raises(NotFound):
            access(world.admin, "not-a-number")


def test_enrolments_need_both_the_project_and_the_teacher_in_scope(world) -> None:
    city_offering = OfferingFactory(period=PeriodFactory(project=ProjectFactory(organiser=region("440100"))))
    mine = EnrolmentFactory(offering=city_offering, teacher=world.t_haizhu)
    theirs = EnrolmentFactory(offering=city_offering, teacher=world.t_panyu)
    assert set(permissions.enrolments_visible_to(world.city_admin)) == {world.enrolment, mine, theirs}
    # The 海珠 admin runs no city project; the 番禺 teacher in 海珠's project would stay hidden too.
    assert set(permissions.enrolments_visible_to(world.admin)) == {world.enrolment}


def test_organisers_and_tutors_are_limited_to_the_scope(world) -> None:
    assert set(permissions.organisers_visible_to(world.admin).values_list("code", flat=True)) == {"440105"}
    assert "440100" in set(permissions.organisers_visible_to(world.city_admin).values_list("code", flat=True))
    city_tutor = user_with_role(Role.TUTOR, region_code="440100")
    panyu_tutor = user_with_role(Role.TUTOR, region_code="440113")
    school_tutor = user_with_role(Role.TUTOR, school=world.haizhu)
    assert set(permissions.tutors_visible_to(world.admin)) == {world.tutor, school_tutor}
    assert set(permissions.tutors_visible_to(world.city_admin)) == {world.tutor, school_tutor, city_tutor, panyu_tutor}
    assert not permissions.tutors_visible_to(world.admin).filter(pk=UserFactory().pk).exists()


def test_learners_reach_only_their_own_enrolments(world) -> None:
    assert permissions.access_own_enrolment(world.t_haizhu.user, world.enrolment.pk) == world.enrolment
    with pytest.raises(NotFound):
        permissions.access_own_enrolment(world.t_panyu.user, world.enrolment.pk)
    with pytest.raises(PermissionDenied, match="只有教师可以选课"):
        permissions.learner_of(world.admin)
