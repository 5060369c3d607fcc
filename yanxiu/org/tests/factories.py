"""Factories for organisation and people. Everything is synthetic."""

from __future__ import annotations

import importlib
from typing import Any

import factory
from factory.django import DjangoModelFactory

from yanxiu.accounts.models import User
from yanxiu.conftest import PASSWORD
from yanxiu.org.models import (
    EmploymentStatus,
    Region,
    RegionLevel,
    Role,
    RoleAssignment,
    School,
    Stage,
    Subject,
    Teacher,
)

REGIONS = [
    ("440000", "广东省", RegionLevel.PROVINCE, None),
    ("440100", "广州市", RegionLevel.CITY, "440000"),
    ("440105", "海珠区", RegionLevel.DISTRICT, "440100"),
    ("440106", "天河区", RegionLevel.DISTRICT, "440100"),
    ("440113", "番禺区", RegionLevel.DISTRICT, "440100"),
    ("440300", "深圳市", RegionLevel.CITY, "440000"),
    ("440303", "罗湖区", RegionLevel.DISTRICT, "440300"),
    ("220000", "吉林省", RegionLevel.PROVINCE, None),
    ("220100", "长春市", RegionLevel.CITY, "220000"),
    ("220104", "朝阳区", RegionLevel.DISTRICT, "220100"),
    ("110000", "北京市", RegionLevel.PROVINCE, None),
    ("110100", "市辖区", RegionLevel.CITY, "110000"),
    ("110105", "朝阳区", RegionLevel.DISTRICT, "110100"),
]


def seed_reference_data() -> None:
    """Stages and subjects come from a data migration; transactional tests flush them, so put
    them back (idempotent)."""
    if Stage.objects.exists() and Subject.objects.exists():
        return
    from django.apps import apps

    importlib.import_module("yanxiu.org.migrations.0002_stages_and_subjects").seed(apps, None)


def make_regions() -> dict[str, Region]:
    seed_reference_data()
    made = {}
    for code, name, level, parent in REGIONS:
        made[code], _ = Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent_id": parent}
        )
    return made


def region(code: str) -> Region:
    make_regions()
    return Region.objects.get(pk=code)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n:05d}")
    real_name = factory.Sequence(lambda n: f"测试用户{n}")
    must_change_password = False
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"测试学校{n}")
    region = factory.LazyFunction(lambda: region("440105"))


class TeacherFactory(DjangoModelFactory):
    class Meta:
        model = Teacher

    teacher_no = factory.Sequence(lambda n: f"T{n:06d}")
    user = factory.LazyAttribute(lambda o: UserFactory(username=o.teacher_no))
    school = factory.SubFactory(SchoolFactory)
    stage = factory.LazyFunction(lambda: Stage.objects.get(code="primary"))
    subject = factory.LazyFunction(lambda: Subject.objects.get(code="chinese"))
    status = EmploymentStatus.ACTIVE


def user_with_role(
    role: str,
    *,
    region_code: str | None = None,
    school: School | None = None,
    sees_personal_data: bool = False,
    **user_fields: Any,
) -> User:
    user = UserFactory(**user_fields)
    RoleAssignment.objects.create(
        user=user,
        role=role,
        region=region(region_code) if region_code else None,
        school=school,
        sees_personal_data=sees_personal_data,
    )
    return user


def district_admin(code: str = "440105", **kwargs: Any) -> User:
    return user_with_role(Role.DISTRICT_ADMIN, region_code=code, **kwargs)
