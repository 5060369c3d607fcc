"""Each role lands on its own workbench; a user with several roles can switch."""

import pytest
from django.test import Client

from yanxiu.org.models import Role
from yanxiu.org.tests.factories import (
    SchoolFactory,
    TeacherFactory,
    UserFactory,
    district_admin,
    region,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def test_anonymous_home_goes_to_login() -> None:
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_district_admin_lands_on_the_admin_workbench(regions, client_for) -> None:
    school = SchoolFactory(region=region("440105"))
    TeacherFactory.create_batch(3, school=school)
    TeacherFactory(school=SchoolFactory(region=region("440113")))
    client = client_for(district_admin("440105"))
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/workbench/district_admin/"
    html = response.content.decode()
    assert "区县管理员工作台" in html and "海珠区" in html
    assert response.context["summary"] == {"schools": 1, "teachers": 3, "active_teachers": 3}


@pytest.mark.parametrize(
    ("role", "title"),
    [
        (Role.TUTOR, "辅导教师工作台"),
        (Role.WORKSHOP_HOST, "研修主持人工作台"),
        (Role.ASSISTANT, "研修助理工作台"),
        (Role.SUPERVISOR, "督学工作台"),
        (Role.COURSE_AUTHOR, "课程制作"),
        (Role.COURSE_REVIEWER, "课程审核"),
    ],
)
def test_roles_not_built_yet_say_what_will_come(regions, client_for, role, title) -> None:
    response = client_for(user_with_role(role)).get("/", follow=True)
    html = response.content.decode()
    assert title in html and "正在建设中" in html


def test_teacher_is_a_learner(regions, client_for) -> None:
    response = client_for(TeacherFactory().user).get("/", follow=True)
    # A learner's workbench is 学习中心.
    assert [url for url, _ in response.redirect_chain] == ["/workbench/learner/", "/learn/"]
    assert "学习中心" in response.content.decode()


def test_several_roles_show_a_switcher_and_no_foreign_workbench(regions, client_for) -> None:
    teacher = TeacherFactory()
    teacher.user.role_assignments.create(role=Role.TUTOR)
    client = client_for(teacher.user)
    html = client.get("/workbench/tutor/").content.decode()
    assert 'href="/workbench/learner/"' in html
    assert client.get("/workbench/tutor/").status_code == 200
    assert client.get("/workbench/district_admin/").status_code == 404
    assert client.get("/workbench/nonsense/").status_code == 404


def test_user_without_role_is_told_so(regions, client_for) -> None:
    html = client_for(UserFactory()).get("/").content.decode()
    assert "尚未分配角色" in html


def test_navigation_shows_admin_links_only_to_admins(regions, client_for) -> None:
    admin_html = client_for(district_admin("440105")).get("/workbench/district_admin/").content.decode()
    assert 'href="/org/teachers/"' in admin_html
    learner_html = client_for(TeacherFactory().user).get("/workbench/learner/").content.decode()
    assert 'href="/org/teachers/"' not in learner_html


def test_the_menu_is_kept_a_short_while_per_user(regions, settings) -> None:
    from yanxiu.org.tests.factories import UserFactory
    from yanxiu.workbench.selectors import navigation

    settings.NAVIGATION_CACHE_SECONDS = 30
    user = UserFactory()
    assert [item.key for item in navigation(user)] == ["home"]
    user.role_assignments.create(role=Role.COURSE_AUTHOR)
    fresh = type(user).objects.get(pk=user.pk)
    assert [item.key for item in navigation(fresh)] == ["home"]  # within the lifetime
    settings.NAVIGATION_CACHE_SECONDS = 0
    assert [item.key for item in navigation(type(user).objects.get(pk=user.pk))] == ["home", "catalog"]
