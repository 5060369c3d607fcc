"""Projects, periods and enrolments: the operator commands, scheme validation, choosing courses."""

import datetime as dt
import json
import threading
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from yanxiu.catalog.tests.factories import CourseFactory
from yanxiu.core.errors import ValidationFailed
from yanxiu.org.tests.factories import TeacherFactory, region
from yanxiu.org.tests.roster_files import csv_bytes
from yanxiu.training import actions
from yanxiu.training.models import Enrolment, Offering, Period, Project

pytestmark = pytest.mark.django_db
SCHEME = {
    "total_hours": 50,
    "categories": {"通识必修": 8, "专业必修": 18, "网络研修": 16, "任意选修": 8},
    "practice_share": 0.5,
}


def run(*args: str) -> dict:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.fixture
def project(regions):
    return actions.project_create(
        acting_user=None, code="NLTS", name="能力提升工程", organiser=region("440100"), scheme=SCHEME
    )


def test_create_project_and_period_commands(regions, tmp_path: Path) -> None:
    scheme = tmp_path / "scheme.json"
    scheme.write_text(json.dumps(SCHEME, ensure_ascii=False), encoding="utf-8")
    assert (
        run(
            "create-project",
            "--code",
            "NLTS",
            "--name",
            "能力提升工程",
            "--organiser",
            "440100",
            "--scheme",
            str(scheme),
        )["created"]
        == 1
    )
    project = Project.objects.get(code="NLTS")
    assert project.scheme == {
        "total_hours": "50",
        "categories": {"general_required": "8", "subject_required": "18", "online_research": "16", "elective": "8"},
        "practice_share": "0.5",
    }
    assert project.hours_cap_per_period == Decimal("60")
    assert (
        run("create-period", "--project", "NLTS", "--code", "1602", "--start", "2016-10-10", "--end", "2016-12-10")[
            "period"
        ]
        == "1602"
    )
    period = Period.objects.get()
    assert (period.starts_on, period.ends_on) == (dt.date(2016, 10, 10), dt.date(2016, 12, 10))
    with pytest.raises(CommandError, match="已有 1602 期"):
        run("create-period", "--project", "NLTS", "--code", "1602", "--start", "2016-10-10", "--end", "2016-12-10")
    with pytest.raises(CommandError, match="结束日期不能早于开始日期"):
        run("create-period", "--project", "NLTS", "--code", "1701", "--start", "2017-03-01", "--end", "2017-02-01")
    with pytest.raises(CommandError, match="日期“2017-13-01”无效"):
        run("create-period", "--project", "NLTS", "--code", "1701", "--start", "2017-13-01", "--end", "2017-12-01")


@pytest.mark.parametrize(
    ("scheme", "message"),
    [
        ([], "应为 JSON 对象"),
        ({"categories": {}}, "缺少 total_hours"),
        ({"total_hours": 50, "categories": {"体育课": 8}}, "未知的课程类别“体育课”"),
        ({"total_hours": 50, "categories": {"通识必修": 40, "专业必修": 20}}, "之和超过总学时"),
        ({"total_hours": "abc"}, "总学时应为数字"),
        ({"total_hours": 50, "practice_share": 1.5}, "实践学时比例超出范围"),
        ({"total_hours": 50, "bonus": 1}, "未知字段：bonus"),
    ],
)
def test_bad_schemes_are_explained(regions, scheme, message) -> None:
    with pytest.raises(ValidationFailed) as caught:
        actions.project_create(acting_user=None, code="P", name="项目", organiser=region("440100"), scheme=scheme)
    assert message in caught.value.message
    assert not Project.objects.exists()


def test_bad_scheme_file_from_the_command(regions, tmp_path: Path) -> None:
    scheme = tmp_path / "scheme.json"
    scheme.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 JSON"):
        run("create-project", "--code", "P", "--name", "项目", "--organiser", "440100", "--scheme", str(scheme))
    with pytest.raises(CommandError, match="找不到区域代码 999999"):
        scheme.write_text("{}", encoding="utf-8")
        run("create-project", "--code", "P", "--name", "项目", "--organiser", "999999", "--scheme", str(scheme))


def test_import_enrolments_by_project_code_or_name_idempotent(project, tmp_path: Path) -> None:
    actions.period_create(
        acting_user=None, project=project, code="1602", starts_on=dt.date(2016, 10, 10), ends_on=dt.date(2016, 12, 10)
    )
    teacher = TeacherFactory(teacher_no="GZ000001")
    CourseFactory(code="C1")
    CourseFactory(code="C2")
    path = tmp_path / "enrol.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["NLTS", "1602", "GZ000001", "C1"],
                ["能力提升工程", "1602", "GZ000001", "C2"],
                ["NLTS", "1602", "GZ000001", "C1"],
                ["NLTS", "1701", "GZ000001", "C1"],
                ["NOPE", "1602", "X", "C9"],
            ],
            headers=actions.ENROLMENT_HEADERS,
        )
    )
    with pytest.raises(CommandError):
        run("import-enrolments", str(path))
    assert Enrolment.objects.filter(teacher=teacher).count() == 2
    assert set(Enrolment.objects.values_list("source", flat=True)) == {"assigned"}
    assert Offering.objects.count() == 2
    summary = actions.enrolments_import(path.read_bytes(), "enrol.csv", actor=None)
    assert summary["created"] == 0 and summary["unchanged"] == 2 and summary["errors"] == 2
    assert [m for _, m in summary["error_rows"]] == [
        "项目“能力提升工程”没有 1701 期。",
        "找不到项目“NOPE”。 找不到教师编号“X”。 找不到课程编号“C9”。",
    ]


@pytest.fixture
def open_period(project):
    now = timezone.now()
    return actions.period_create(
        acting_user=None,
        project=project,
        code="1602",
        starts_on=now.date(),
        ends_on=now.date() + timedelta(days=60),
        selection_opens_at=now - timedelta(days=1),
        selection_closes_at=now + timedelta(days=1),
    )


def test_choosing_a_course_validates_window_duplicates_and_cap(open_period) -> None:
    teacher = TeacherFactory()
    big = actions.offering_ensure(
        period=open_period, course=CourseFactory(all_stages=True, all_subjects=True, credit_hours=Decimal("50"))
    )[0]
    small = actions.offering_ensure(
        period=open_period, course=CourseFactory(all_stages=True, all_subjects=True, credit_hours=Decimal("8"))
    )[0]
    over = actions.offering_ensure(
        period=open_period, course=CourseFactory(all_stages=True, all_subjects=True, credit_hours=Decimal("10.5"))
    )[0]
    first = actions.enrolment_choose(acting_user=teacher.user, offering=big)
    assert actions.enrolment_choose(acting_user=teacher.user, offering=big).pk == first.pk  # no duplicate
    actions.enrolment_choose(acting_user=teacher.user, offering=small)
    with pytest.raises(ValidationFailed) as caught:
        actions.enrolment_choose(acting_user=teacher.user, offering=over)
    assert caught.value.code == "hours_cap" and "60" in caught.value.message
    assert Enrolment.objects.filter(teacher=teacher).count() == 2
    Period.objects.filter(pk=open_period.pk).update(selection_closes_at=timezone.now() - timedelta(minutes=1))
    small.period.refresh_from_db()
    with pytest.raises(ValidationFailed, match="不在选课时间内"):
        actions.enrolment_choose(
            acting_user=teacher.user,
            offering=actions.offering_ensure(
                period=small.period, course=CourseFactory(all_stages=True, all_subjects=True, credit_hours=Decimal("1"))
            )[0],
        )


def test_only_teachers_choose(open_period) -> None:
    from yanxiu.org.tests.factories import UserFactory

    offering = actions.offering_ensure(period=open_period, course=CourseFactory(all_stages=True, all_subjects=True))[0]
    with pytest.raises(ValidationFailed, match="只有教师可以选课"):
        actions.enrolment_choose(acting_user=UserFactory(), offering=offering)


@pytest.mark.django_db(transaction=True)
def test_double_click_makes_one_enrolment(regions) -> None:
    project = actions.project_create(
        acting_user=None, code="NLTS", name="能力提升工程", organiser=region("440100"), scheme=SCHEME
    )
    now = timezone.now()
    period = actions.period_create(
        acting_user=None,
        project=project,
        code="1602",
        starts_on=now.date(),
        ends_on=now.date(),
        selection_opens_at=now - timedelta(hours=1),
        selection_closes_at=now + timedelta(hours=1),
    )
    teacher = TeacherFactory()
    offering = actions.offering_ensure(period=period, course=CourseFactory(all_stages=True, all_subjects=True))[0]
    errors: list[Exception] = []

    def choose() -> None:
        try:
            actions.enrolment_choose(acting_user=teacher.user, offering=offering)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=choose) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Enrolment.objects.filter(teacher=teacher, offering=offering).count() == 1


def test_only_active_teachers_choose_published_courses(open_period) -> None:
    from yanxiu.catalog.models import CourseStatus

    retired = TeacherFactory(status="retired")
    draft = actions.offering_ensure(
        period=open_period, course=CourseFactory(all_stages=True, all_subjects=True, status=CourseStatus.DRAFT)
    )[0]
    published = actions.offering_ensure(period=open_period, course=CourseFactory(all_stages=True, all_subjects=True))[0]
    with pytest.raises(ValidationFailed, match="只有在职教师可以选课"):
        actions.enrolment_choose(acting_user=retired.user, offering=published)
    with pytest.raises(ValidationFailed, match="尚未发布或已停用"):
        actions.enrolment_choose(acting_user=TeacherFactory().user, offering=draft)
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件是空的"),
        ("项目,期次\nNLTS,1602\n".encode(), "表头缺少：教师编号、课程编号"),
        ("项目,期次,教师编号,课程编号\n".encode(), "只有表头"),
    ],
)
def test_bad_enrolment_files_write_nothing(project, tmp_path: Path, content, message) -> None:
    path = tmp_path / "enrol.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run("import-enrolments", str(path))
    assert not Enrolment.objects.exists() and not Offering.objects.exists()
