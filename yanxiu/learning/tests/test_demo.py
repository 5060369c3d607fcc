"""`yanxiu demo`: the organisation and the training demo, synthetic and idempotent."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from yanxiu.accounts.models import User
from yanxiu.catalog.models import Activity, ActivityKind, Course, CourseCategory, CourseStatus, MediaStatus
from yanxiu.learning.models import ActivityProgress
from yanxiu.org.models import Role, RoleAssignment, School, Teacher
from yanxiu.org.validators import id_number_error
from yanxiu.training.models import Enrolment, EnrolmentStatus, Period

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[dict, str]:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1]), out.getvalue()


def test_demo_is_idempotent_and_synthetic() -> None:
    summary, out = run("demo")
    assert summary["teachers"] == 660 and summary["errors"] == 0
    assert "hz_admin" in out and "Yanxiu-demo-2026" in out
    assert School.objects.filter(region_id="440100").count() == 3  # 局属学校
    assert School.objects.values("region_id").distinct().count() == 12
    assert RoleAssignment.objects.filter(role=Role.DISTRICT_ADMIN).count() == 2

    # Training: 能力提升工程 with 1601 closed and 1602 open, twelve courses in every category.
    assert summary["courses"] == 12 and summary["periods"] == 2
    assert {p.code: p.ends_on < p.starts_on.today() for p in Period.objects.all()} == {"1601": True, "1602": False}
    courses = Course.objects.filter(code__startswith="DEMO-")
    assert set(courses.values_list("category", flat=True)) == set(CourseCategory.values)
    assert set(courses.values_list("status", flat=True)) == {CourseStatus.PUBLISHED}
    videos = Activity.objects.filter(kind=ActivityKind.VIDEO, course__in=courses)
    assert videos.count() == 12
    assert set(videos.values_list("media_status", flat=True)) == {MediaStatus.READY}
    assert all(v.hls_playlist.endswith("index.m3u8") and v.duration_seconds for v in videos)
    assert Activity.objects.filter(kind=ActivityKind.DOCUMENT, viewer_file__endswith=".pdf").count() == 12

    # The first demo learner is part-way through one 1602 course and failed one in 1601.
    line = next(line for line in out.splitlines() if "已在 1602 期学习中" in line)
    learner = Teacher.objects.get(user__username=line.split()[1])
    mine = Enrolment.objects.filter(teacher=learner)
    assert mine.filter(offering__period__code="1602", status=EnrolmentStatus.LEARNING, progress__gt=0).count() == 1
    assert mine.filter(offering__period__code="1601", status=EnrolmentStatus.FAILED).count() == 1
    assert ActivityProgress.objects.filter(enrolment__teacher=learner).exists()

    snapshot = (
        Teacher.objects.count(),
        School.objects.count(),
        RoleAssignment.objects.count(),
        Course.objects.count(),
        Activity.objects.count(),
        Enrolment.objects.count(),
    )
    again, _ = run("demo")
    assert again["created"] == 0
    assert snapshot == (
        Teacher.objects.count(),
        School.objects.count(),
        RoleAssignment.objects.count(),
        Course.objects.count(),
        Activity.objects.count(),
        Enrolment.objects.count(),
    )
    # Every demo mobile is in the 1990 block and every ID number carries a valid check digit.
    assert all(m.startswith("1990") for m in User.objects.exclude(mobile=None).values_list("mobile", flat=True))
    assert all(
        id_number_error(n) is None for n in Teacher.objects.exclude(id_number=None).values_list("id_number", flat=True)
    )
