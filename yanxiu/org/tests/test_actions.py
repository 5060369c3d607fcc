"""Role assignment and school actions: validation, scope, idempotency, audit."""

import pytest

from yanxiu.core.errors import NotFound, PermissionDenied, ValidationFailed
from yanxiu.core.models import AuditEvent
from yanxiu.org import actions
from yanxiu.org.models import Role, RoleAssignment, School
from yanxiu.org.tests.factories import SchoolFactory, UserFactory, district_admin, region, user_with_role

pytestmark = pytest.mark.django_db


def test_role_assign_is_idempotent_and_audited(regions) -> None:
    user = UserFactory()
    sysadmin = user_with_role(Role.SYSTEM_ADMIN)
    first = actions.role_assign(acting_user=sysadmin, user=user, role=Role.DISTRICT_ADMIN, region=region("440105"))
    second = actions.role_assign(acting_user=sysadmin, user=user, role=Role.DISTRICT_ADMIN, region=region("440105"))
    assert first.pk == second.pk
    assert RoleAssignment.objects.filter(user=user).count() == 1
    assert AuditEvent.objects.filter(action="role.assigned").count() == 2


def test_platform_wide_role_is_unique_too(regions) -> None:
    user = UserFactory()
    actions.role_assign(acting_user=None, user=user, role=Role.COURSE_AUTHOR)
    actions.role_assign(acting_user=None, user=user, role=Role.COURSE_AUTHOR)
    assert RoleAssignment.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("role", "kwargs", "message"),
    [
        (Role.DISTRICT_ADMIN, {"region": "440100"}, "区县管理员的范围必须是一个区县级区域"),
        (Role.CITY_ADMIN, {}, "市级管理员的范围必须是一个市级区域"),
        (Role.SCHOOL_ADMIN, {}, "学校管理员的范围必须是一所学校"),
        (Role.SYSTEM_ADMIN, {"region": "440100"}, "系统管理员的范围是全平台"),
        ("wizard", {}, "角色无效"),
    ],
)
def test_role_scope_must_fit_the_role(regions, role, kwargs, message) -> None:
    region_obj = region(kwargs["region"]) if "region" in kwargs else None
    with pytest.raises(ValidationFailed) as caught:
        actions.role_assign(acting_user=None, user=UserFactory(), role=role, region=region_obj)
    assert message in caught.value.message
    assert not RoleAssignment.objects.exists()


def test_admins_grant_roles_only_inside_their_scope(regions) -> None:
    admin = district_admin("440105")
    user = UserFactory()
    actions.role_assign(acting_user=admin, user=user, role=Role.TUTOR, region=region("440105"))
    with pytest.raises(PermissionDenied):
        actions.role_assign(acting_user=admin, user=user, role=Role.TUTOR, region=region("440113"))
    with pytest.raises(PermissionDenied):
        actions.role_assign(acting_user=admin, user=user, role=Role.SYSTEM_ADMIN)
    with pytest.raises(NotFound):
        actions.role_assign(
            acting_user=admin, user=user, role=Role.SCHOOL_ADMIN, school=SchoolFactory(region=region("440113"))
        )
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", "region_id")) == [("tutor", "440105")]


def test_only_system_admins_revoke_roles(regions) -> None:
    admin = district_admin("440105")
    assignment = admin.role_assignments.get()
    with pytest.raises(PermissionDenied):
        actions.role_revoke(acting_user=admin, assignment=assignment)
    actions.role_revoke(acting_user=user_with_role(Role.SYSTEM_ADMIN), assignment=assignment)
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_school_create_validates(regions) -> None:
    admin = district_admin("440105")
    with pytest.raises(ValidationFailed):
        actions.school_create(acting_user=admin, name="  ", region=region("440105"))
    with pytest.raises(ValidationFailed):
        actions.school_create(acting_user=admin, name="学" * 101, region=region("440105"))
    with pytest.raises(ValidationFailed):
        actions.school_create(acting_user=admin, name="好学校", region=region("440105"), ownership="royal")
    with pytest.raises(NotFound):
        actions.school_create(acting_user=admin, name="好学校", region=region("440113"))
    assert not School.objects.exists()
    school = actions.school_create(acting_user=admin, name=" 好学校 ", region=region("440105"))
    assert school.name == "好学校"


def test_admins_cannot_grant_a_personal_data_right_they_lack_nor_roles_to_themselves(regions) -> None:
    admin = district_admin("440105")
    colleague = UserFactory()
    with pytest.raises(PermissionDenied):
        actions.role_assign(
            acting_user=admin,
            user=colleague,
            role=Role.DISTRICT_ADMIN,
            region=region("440105"),
            sees_personal_data=True,
        )
    with pytest.raises(PermissionDenied):
        actions.role_assign(acting_user=admin, user=admin, role=Role.TUTOR, region=region("440105"))
    assert not RoleAssignment.objects.filter(user=colleague).exists()
    trusted = district_admin("440105", sees_personal_data=True)
    actions.role_assign(
        acting_user=trusted, user=colleague, role=Role.DISTRICT_ADMIN, region=region("440105"), sees_personal_data=True
    )
    assert RoleAssignment.objects.get(user=colleague).sees_personal_data
