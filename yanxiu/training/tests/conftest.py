"""A small training world: a city project and a 海珠区 project, teachers in two districts, and one
user of each kind that the authorization matrices need."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from yanxiu.org.models import Role, Subject
from yanxiu.org.tests.factories import SchoolFactory, TeacherFactory, district_admin, region, user_with_role
from yanxiu.training.models import Klass
from yanxiu.training.tests.factories import EnrolmentFactory, OfferingFactory, PeriodFactory, ProjectFactory


@pytest.fixture
def world(regions):
    haizhu = SchoolFactory(name="海珠一小", region=region("440105"))
    panyu = SchoolFactory(name="番禺一小", region=region("440113"))
    t_haizhu = TeacherFactory(teacher_no="H0001", school=haizhu)
    t_haizhu.user.real_name = "海珠老师"
    t_haizhu.user.mobile = "13812345678"
    t_haizhu.user.save()
    t_panyu = TeacherFactory(teacher_no="P0001", school=panyu)
    district_project = ProjectFactory(code="HZ", name="海珠区项目", organiser=region("440105"))
    period = PeriodFactory(project=district_project, code="1602")
    offering = OfferingFactory(period=period)
    enrolment = EnrolmentFactory(offering=offering, teacher=t_haizhu)
    klass = Klass.objects.create(offering=offering, name="一班")
    return SimpleNamespace(
        haizhu=haizhu,
        panyu=panyu,
        t_haizhu=t_haizhu,
        t_panyu=t_panyu,
        project=district_project,
        period=period,
        offering=offering,
        enrolment=enrolment,
        klass=klass,
        admin=district_admin("440105"),
        other_admin=district_admin("440113"),
        city_admin=user_with_role(Role.CITY_ADMIN, region_code="440100"),
        school_admin=user_with_role(Role.SCHOOL_ADMIN, school=haizhu),
        tutor=user_with_role(Role.TUTOR, region_code="440105"),
        chinese=Subject.objects.get(code="chinese"),
    )
