"""Scope: who sees which schools and teachers."""

import pytest

from yanxiu.core.errors import NotFound, PermissionDenied
from yanxiu.org import permissions
from yanxiu.org.models import Role, School
from yanxiu.org.tests.factories import (
    SchoolFactory,
    TeacherFactory,
    UserFactory,
    district_admin,
    region,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(regions):
    haizhu = SchoolFactory(name="海珠一小", region=region("440105"))
    panyu = SchoolFactory(name="番禺一小", region=region("440113"))
    city_direct = SchoolFactory(name="市属中学", region=region("440100"))
    shenzhen = SchoolFactory(name="罗湖一小", region=region("440303"))
    return {
        "haizhu": haizhu,
        "panyu": panyu,
        "city": city_direct,
        "shenzhen": shenzhen,
        "t_haizhu": TeacherFactory(school=haizhu),
        "t_panyu": TeacherFactory(school=panyu),
        "t_city": TeacherFactory(school=city_direct),
        "t_shenzhen": TeacherFactory(school=shenzhen),
    }


def names(qs) -> set[str]:
    return {s.name for s in qs}


def test_district_admin_sees_only_their_district(world) -> None:
    admin = district_admin("440105")
    assert names(permissions.schools_visible_to(admin)) == {"海珠一小"}
    assert set(permissions.teachers_visible_to(admin)) == {world["t_haizhu"]}
    assert permissions.access_teacher(admin, world["t_haizhu"].pk) == world["t_haizhu"]
    with pytest.raises(NotFound):
        permissions.access_teacher(admin, world["t_panyu"].pk)
    with pytest.raises(NotFound):
        permissions.access_school(admin, world["panyu"].pk)


def test_city_admin_sees_districts_and_city_direct_schools_not_other_cities(world) -> None:
    admin = user_with_role(Role.CITY_ADMIN, region_code="440100")
    assert names(permissions.schools_visible_to(admin)) == {"海珠一小", "番禺一小", "市属中学"}
    with pytest.raises(NotFound):
        permissions.access_teacher(admin, world["t_shenzhen"].pk)


def test_province_admin_sees_the_province(world) -> None:
    admin = user_with_role(Role.PROVINCE_ADMIN, region_code="440000")
    assert names(permissions.schools_visible_to(admin)) == {"海珠一小", "番禺一小", "市属中学", "罗湖一小"}


def test_school_admin_sees_their_school_only(world) -> None:
    admin = user_with_role(Role.SCHOOL_ADMIN, school=world["haizhu"])
    assert names(permissions.schools_visible_to(admin)) == {"海珠一小"}
    assert not permissions.can_manage_schools(admin)
    assert list(permissions.regions_visible_to(admin)) == []


def test_several_roles_add_up(world) -> None:
    admin = district_admin("440105")
    admin.role_assignments.create(role=Role.DISTRICT_ADMIN, region=region("440303"))
    fresh = type(admin).objects.get(pk=admin.pk)
    assert names(permissions.schools_visible_to(fresh)) == {"海珠一小", "罗湖一小"}


@pytest.mark.parametrize("role", [Role.TUTOR, Role.WORKSHOP_HOST, Role.SUPERVISOR, Role.COURSE_AUTHOR])
def test_non_admin_roles_see_no_roster(world, role) -> None:
    user = user_with_role(role, region_code="440100" if role != Role.COURSE_AUTHOR else None)
    assert not permissions.schools_visible_to(user).exists()
    assert not permissions.teachers_visible_to(user).exists()
    with pytest.raises(PermissionDenied):
        permissions.require_admin(user)


def test_learner_and_anonymous_see_nothing(world) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not permissions.teachers_visible_to(world["t_haizhu"].user).exists()
    assert not permissions.teachers_visible_to(AnonymousUser()).exists()


def test_system_admin_and_superuser_see_everything(world) -> None:
    sysadmin = user_with_role(Role.SYSTEM_ADMIN)
    superuser = UserFactory(is_superuser=True)
    assert permissions.schools_visible_to(sysadmin).count() == School.objects.count()
    assert permissions.schools_visible_to(superuser).count() == School.objects.count()


def test_inactive_admin_sees_nothing(world) -> None:
    admin = district_admin("440105", is_active=False)
    assert not permissions.schools_visible_to(admin).exists()


def test_same_district_name_in_two_cities_is_not_confused(regions) -> None:
    """朝阳区 exists in 长春市 (220104) and 北京市 (110105): scope follows the code, not the name."""
    changchun = SchoolFactory(name="长春朝阳一小", region=region("220104"))
    SchoolFactory(name="北京朝阳一小", region=region("110105"))
    admin = district_admin("220104")
    assert list(permissions.schools_visible_to(admin)) == [changchun]


def test_personal_data_right_is_explicit_and_scoped(world) -> None:
    plain = district_admin("440105")
    trusted = district_admin("440105", sees_personal_data=True)
    assert not permissions.can_see_personal_data(plain, world["t_haizhu"])
    assert permissions.can_see_personal_data(trusted, world["t_haizhu"])
    assert not permissions.can_see_personal_data(trusted, world["t_panyu"])
