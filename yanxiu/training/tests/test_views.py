"""Training pages: the authorization matrix of every page and POST, and what the pages do."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from yanxiu.catalog.tests.factories import CourseFactory
from yanxiu.core.models import AuditEvent
from yanxiu.org.models import Role
from yanxiu.org.tests.factories import TeacherFactory, user_with_role
from yanxiu.org.tests.roster_files import csv_bytes
from yanxiu.training.models import Enrolment, EnrolmentStatus, Klass, Offering, Period, Project
from yanxiu.training.tests.factories import (
    EnrolmentFactory,
    KlassFactory,
    OfferingFactory,
    past_period,
    training_snapshot,
)

pytestmark = pytest.mark.django_db


def object_urls(w):
    """(name, kwargs) of every page about one object of the 海珠区 project."""
    return [
        ("training:project_detail", {"project_id": w.project.pk}),
        ("training:period_create", {"project_id": w.project.pk}),
        ("training:period_detail", {"period_id": w.period.pk}),
        ("training:period_edit", {"period_id": w.period.pk}),
        ("training:offering_add", {"period_id": w.period.pk}),
        ("training:retake_candidates", {"period_id": w.period.pk}),
        ("training:retake_list", {"period_id": w.period.pk}),
        ("training:retake_export", {"period_id": w.period.pk}),
        ("training:offering_detail", {"offering_id": w.offering.pk}),
        ("training:klass_create", {"offering_id": w.offering.pk}),
        ("training:enrolment_list", {"offering_id": w.offering.pk}),
        ("training:enrolment_export", {"offering_id": w.offering.pk}),
        ("training:enrolment_rule", {"offering_id": w.offering.pk}),
        ("training:klass_edit", {"klass_id": w.klass.pk}),
    ]


GLOBAL_URLS = [("training:project_list", {}), ("training:project_create", {}), ("training:enrolment_upload", {})]


def object_posts(w):
    """(name, kwargs, data) of every write about one object of the 海珠区 project."""
    course = CourseFactory(code="NEW1")
    return [
        ("training:project_detail", {"project_id": w.project.pk}, {"code": "X", "name": "改名", "total_hours": "1"}),
        (
            "training:period_create",
            {"project_id": w.project.pk},
            {"code": "1701", "starts_on": "2030-01-01", "ends_on": "2030-02-01"},
        ),
        (
            "training:period_edit",
            {"period_id": w.period.pk},
            {"code": "9999", "starts_on": "2030-01-01", "ends_on": "2030-02-01"},
        ),
        ("training:period_close", {"period_id": w.period.pk}, {}),
        ("training:offering_add", {"period_id": w.period.pk}, {"course": course.pk}),
        (
            "training:retakes_open",
            {"period_id": w.period.pk},
            {"all": "1", "opens_on": "2030-01-01", "closes_on": "2030-01-02"},
        ),
        (
            "training:offering_detail",
            {"offering_id": w.offering.pk},
            {"required_percent": "80", "assignment_required": "no"},
        ),
        ("training:offering_remove", {"offering_id": w.offering.pk}, {}),
        ("training:klass_create", {"offering_id": w.offering.pk}, {"name": "新班"}),
        ("training:klasses_split", {"offering_id": w.offering.pk}, {"capacity": "5"}),
        ("training:enrolment_rule", {"offering_id": w.offering.pk}, {}),
        ("training:klass_edit", {"klass_id": w.klass.pk}, {"name": "改名班"}),
        (
            "training:enrolment_update",
            {"enrolment_id": w.enrolment.pk},
            {"fee_status": "unpaid", "klass": w.klass.pk, "source": "recommended"},
        ),
        ("training:enrolment_remove", {"enrolment_id": w.enrolment.pk}, {}),
    ]


def test_anonymous_is_sent_to_login(world) -> None:
    client = Client()
    for name, kwargs in [*object_urls(world), *GLOBAL_URLS, ("training:choose", {})]:
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("accounts:login"))
    before = training_snapshot()
    for name, kwargs, data in object_posts(world):
        assert client.post(reverse(name, kwargs=kwargs), data).status_code == 302
    assert training_snapshot() == before


@pytest.mark.parametrize("who", ["learner", "tutor", "school_admin"])
def test_learners_tutors_and_school_admins_are_refused(world, client_for, who) -> None:
    user = {"learner": world.t_haizhu.user, "tutor": world.tutor, "school_admin": world.school_admin}[who]
    client = client_for(user)
    for name, kwargs in GLOBAL_URLS:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 403, name
    for name, kwargs in object_urls(world):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404, name
    before = training_snapshot()
    for name, kwargs, data in object_posts(world):
        assert client.post(reverse(name, kwargs=kwargs), data).status_code == 404, name
    assert client.post(reverse("training:enrolment_upload_confirm")).status_code == 403
    assert training_snapshot() == before


def test_admin_of_another_district_gets_not_found_and_changes_nothing(world, client_for) -> None:
    client = client_for(world.other_admin)
    for name, kwargs in GLOBAL_URLS:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200, name
    for name, kwargs in object_urls(world):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404, name
    before = training_snapshot()
    for name, kwargs, data in object_posts(world):
        assert client.post(reverse(name, kwargs=kwargs), data).status_code == 404, name
    assert training_snapshot() == before


def test_right_admin_reaches_every_page(world, client_for) -> None:
    client = client_for(world.admin)
    for name, kwargs in [*object_urls(world), *GLOBAL_URLS]:
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200, name
    preview = client.get(
        reverse("training:enrolment_rule", kwargs={"offering_id": world.offering.pk}), {"preview": "1"}
    )
    assert preview.status_code == 200


def test_navigation_shows_training_to_region_admins_and_choose_to_teachers(world, client_for) -> None:
    admin_html = client_for(world.admin).get(reverse("training:project_list")).content.decode()
    assert reverse("training:project_list") in admin_html and "培训项目" in admin_html
    learner_html = client_for(world.t_haizhu.user).get(reverse("training:choose")).content.decode()
    assert reverse("training:choose") in learner_html and 'href="/training/"' not in learner_html


def test_create_project_from_form_fields(world, client_for) -> None:
    client = client_for(world.admin)
    response = client.post(
        reverse("training:project_create"),
        {
            "code": "NLTS",
            "name": "能力提升工程",
            "organiser": "440105",
            "total_hours": "50",
            "general_required": "8",
            "subject_required": "18",
            "online_research": "16",
            "elective": "8",
            "practice_percent": "50",
            "hours_cap_per_period": "60",
        },
    )
    assert response.status_code == 302
    project = Project.objects.get(code="NLTS")
    assert project.scheme == {
        "total_hours": "50",
        "categories": {"general_required": "8", "subject_required": "18", "online_research": "16", "elective": "8"},
        "practice_share": "0.5",
    }
    assert AuditEvent.objects.get(action="project.created").actor == world.admin
    # The edit form shows the scheme back as fields.
    html = client.get(reverse("training:project_detail", kwargs={"project_id": project.pk})).content.decode()
    assert 'value="18"' in html and 'value="50"' in html


def test_project_organiser_outside_scope_and_bad_scheme_are_refused(world, client_for) -> None:
    client = client_for(world.admin)
    before = training_snapshot()
    data = {"code": "X", "name": "项目", "organiser": "440100", "total_hours": "50", "hours_cap_per_period": "60"}
    response = client.post(reverse("training:project_create"), data)
    assert response.status_code == 400 and "请选择您管辖范围内的区域" in response.content.decode()
    data |= {"organiser": "440105", "general_required": "40", "subject_required": "20"}
    response = client.post(reverse("training:project_create"), data)
    assert response.status_code == 400 and "之和超过总学时" in response.content.decode()
    assert training_snapshot() == before


def test_edit_pass_rule_as_percent(world, client_for) -> None:
    client = client_for(world.admin)
    url = reverse("training:offering_detail", kwargs={"offering_id": world.offering.pk})
    assert 'value="60"' in client.get(url).content.decode()
    assert client.post(url, {"required_percent": "75", "assignment_required": "no"}).status_code == 302
    world.offering.refresh_from_db()
    assert world.offering.pass_rule == {"required_ratio": "0.75", "assignment_required": False}
    before = training_snapshot()
    assert client.post(url, {"required_percent": "120", "assignment_required": "yes"}).status_code == 400
    assert training_snapshot() == before


def test_add_and_remove_offerings(world, client_for) -> None:
    client = client_for(world.admin)
    course = CourseFactory(code="ADD1", title="可开设的课程")
    CourseFactory(code="DRAFT1", title="草稿课程", status="draft")
    page = client.get(reverse("training:offering_add", kwargs={"period_id": world.period.pk}), {"q": "ADD"})
    html = page.content.decode()
    assert "可开设的课程" in html and "草稿课程" not in html
    client.post(reverse("training:offering_add", kwargs={"period_id": world.period.pk}), {"course": course.pk})
    added = Offering.objects.get(period=world.period, course=course)
    assert added.pass_rule == {"required_ratio": "0.6", "assignment_required": True}
    client.post(reverse("training:offering_remove", kwargs={"offering_id": added.pk}))
    assert not Offering.objects.filter(pk=added.pk).exists()
    # An offering with learners stays.
    response = client.post(reverse("training:offering_remove", kwargs={"offering_id": world.offering.pk}), follow=True)
    assert "不能撤下" in response.content.decode()
    assert Offering.objects.filter(pk=world.offering.pk).exists()


def test_enrolment_by_rule_preview_then_confirm_twice(world, client_for) -> None:
    for _ in range(3):
        TeacherFactory(school=world.haizhu)
    TeacherFactory(school=world.haizhu, status="retired")
    client = client_for(world.admin)
    url = reverse("training:enrolment_rule", kwargs={"offering_id": world.offering.pk})
    html = client.get(url, {"preview": "1", "school": world.haizhu.pk}).content.decode()
    assert "符合条件的在职教师 4 人：1 人已选过，0 人超过每期学时上限" in html
    assert "将为 3 人选课" in html
    assert "每期" in html and "学时上限约束" in html
    assert client.post(url, {"school": world.haizhu.pk}).status_code == 302
    assert client.post(url, {"school": world.haizhu.pk}).status_code == 302  # a double submit
    assert Enrolment.objects.filter(offering=world.offering).count() == 4
    # Filters cannot widen the scope: naming 番禺区 enrols nobody.
    client.post(url, {"region": "440113"})
    assert not Enrolment.objects.filter(teacher=world.t_panyu).exists()


def test_enrolment_by_file_preview_then_confirm(world, client_for, tmp_path) -> None:
    course = CourseFactory(code="FILE1")
    content = csv_bytes(
        [["HZ", "1602", "H0001", "FILE1"], ["HZ", "1602", "P0001", "FILE1"], ["HZ", "1602", "H0001", "NOPE"]],
        headers=("项目", "期次", "教师编号", "课程编号"),
    )
    client = client_for(world.admin)
    before = training_snapshot()
    response = client.post(
        reverse("training:enrolment_upload"), {"file": SimpleUploadedFile("enrol.csv", content, "text/csv")}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "将新增选课 1 条" in html
    assert "找不到教师编号“P0001”" in html  # outside the scope reads as unknown
    assert "找不到课程编号“NOPE”" in html
    assert training_snapshot() == before  # a preview writes nothing
    # Another admin cannot confirm this upload: it is kept in the uploader's session.
    assert client_for(world.other_admin).post(reverse("training:enrolment_upload_confirm")).status_code == 302
    assert training_snapshot() == before
    assert client.post(reverse("training:enrolment_upload_confirm")).status_code == 302
    assert Enrolment.objects.filter(offering__course=course).count() == 1
    assert client.post(reverse("training:enrolment_upload_confirm")).status_code == 302  # nothing left to confirm
    assert Enrolment.objects.filter(offering__course=course).count() == 1


def test_enrolment_list_filters_and_export_without_personal_data(world, client_for) -> None:
    client = client_for(world.admin)
    other = TeacherFactory(school=world.haizhu)
    EnrolmentFactory(offering=world.offering, teacher=other, status=EnrolmentStatus.PASSED, hours_earned=Decimal("10"))
    url = reverse("training:enrolment_list", kwargs={"offering_id": world.offering.pk})
    assert "共 2 人" in client.get(url).content.decode()
    assert "共 1 人" in client.get(url, {"status": "passed"}).content.decode()
    response = client.get(reverse("training:enrolment_export", kwargs={"offering_id": world.offering.pk}))
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert rows[0] == ("教师编号", "姓名", "学校", "区县", "学科", "班级", "来源", "状态", "进度", "获得学时")
    assert rows[1] == ("H0001", "海珠老师", "海珠一小", "海珠区", "语文", None, "指定", "已选课", "0%", None)
    assert rows[2][7:] == ("通过", "0%", 10)
    flat = str(rows)
    assert "13812345678" not in flat and "138****" not in flat
    assert AuditEvent.objects.filter(action="enrolments.exported", actor=world.admin).exists()


def test_split_from_the_page(world, client_for) -> None:
    client = client_for(world.admin)
    Klass.objects.all().delete()
    client.post(reverse("training:klasses_split", kwargs={"offering_id": world.offering.pk}), {"capacity": "30"})
    world.enrolment.refresh_from_db()
    assert world.enrolment.klass.name == "海珠区·语文 1班"


def test_retake_pages_open_and_list(world, client_for) -> None:
    earlier = past_period(world.project, "1601")
    failed = EnrolmentFactory(
        offering=OfferingFactory(period=earlier, course=world.offering.course),
        teacher=TeacherFactory(school=world.haizhu, teacher_no="H0002"),
        status=EnrolmentStatus.FAILED,
    )
    client = client_for(world.admin)
    url = reverse("training:retake_candidates", kwargs={"period_id": world.period.pk})
    assert "H0002" in client.get(url).content.decode()
    response = client.post(
        reverse("training:retakes_open", kwargs={"period_id": world.period.pk}),
        {"enrolment": [failed.pk], "opens_on": world.period.starts_on, "closes_on": world.period.ends_on},
    )
    assert response.status_code == 302
    retake = Enrolment.objects.get(retake_of=failed)
    assert retake.offering == world.offering and retake.source == "retake"
    html = client.get(reverse("training:retake_list", kwargs={"period_id": world.period.pk})).content.decode()
    assert "H0002" in html and "1601" in html
    export = client.get(reverse("training:retake_export", kwargs={"period_id": world.period.pk}))
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.values)
    assert rows[1][:2] == ("1602", "1601") and rows[1][4] == "H0002" and rows[1][-1] == "未通过"


def test_learner_chooses_and_drops_with_and_without_htmx(world, client_for) -> None:
    client = client_for(world.t_haizhu.user)
    offering = OfferingFactory(
        period=world.period,
        course=CourseFactory(title="好课程", credit_hours=Decimal("8"), all_stages=True, all_subjects=True),
    )
    OfferingFactory(period=world.period, course=CourseFactory(title="不适合的课程"))  # no stage or subject
    html = client.get(reverse("training:choose")).content.decode()
    assert "好课程" in html and "不适合的课程" not in html
    assert "本期已选 <strong>10</strong> 学时，上限 60 学时" in html
    url = reverse("training:choose_offering", kwargs={"offering_id": offering.pk})
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert "已选课程：好课程" in response.content.decode()
    mine = Enrolment.objects.get(offering=offering, teacher=world.t_haizhu)
    assert mine.source == "chosen"
    # The assigned one cannot be dropped by the learner; the chosen one can, without JS.
    refused = client.post(
        reverse("training:drop_enrolment", kwargs={"enrolment_id": world.enrolment.pk}), headers={"HX-Request": "true"}
    )
    assert refused.status_code == 400 and "不能自行退选" in refused.content.decode()
    response = client.post(reverse("training:drop_enrolment", kwargs={"enrolment_id": mine.pk}))
    assert response.status_code == 302
    assert not Enrolment.objects.filter(pk=mine.pk).exists()


def test_learner_cannot_drop_someone_elses_enrolment(world, client_for) -> None:
    before = training_snapshot()
    response = client_for(world.t_panyu.user).post(
        reverse("training:drop_enrolment", kwargs={"enrolment_id": world.enrolment.pk})
    )
    assert response.status_code == 404
    assert training_snapshot() == before


def test_choose_errors_are_shown_in_chinese(world, client_for) -> None:
    world.period.selection_closes_at = timezone.now() - timedelta(minutes=1)
    world.period.save()
    offering = OfferingFactory(period=world.period)
    response = client_for(world.t_haizhu.user).post(
        reverse("training:choose_offering", kwargs={"offering_id": offering.pk}), follow=True
    )
    assert "现在不在选课时间内" in response.content.decode()
    assert not Enrolment.objects.filter(offering=offering).exists()


def test_admins_without_a_teacher_record_cannot_choose(world, client_for) -> None:
    assert client_for(world.admin).get(reverse("training:choose")).status_code == 403
    tutor = user_with_role(Role.TUTOR, region_code="440105")
    assert (
        client_for(tutor)
        .post(reverse("training:choose_offering", kwargs={"offering_id": world.offering.pk}))
        .status_code
        == 403
    )


# --- The period page ---------------------------------------------------------------------------
def test_period_page_counts_each_thing_once_in_constant_queries(world, client_for) -> None:
    client = client_for(world.admin)
    url = reverse("training:period_detail", kwargs={"period_id": world.period.pk})
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        html = client.get(url).content.decode()
    assert "<td>1</td><td>0</td><td>1</td>" in html  # 1 enrolment, 0 passed, 1 class
    for _ in range(4):
        KlassFactory(offering=world.offering)
    for status in ["passed", "passed", "failed", "selected", "learning", "passed"]:
        EnrolmentFactory(offering=world.offering, teacher=TeacherFactory(school=world.haizhu), status=status)
    other = OfferingFactory(period=world.period)
    EnrolmentFactory(offering=other, teacher=world.t_haizhu, status="passed")
    with CaptureQueriesContext(connection) as large:
        html = client.get(url).content.decode()
    # 7 enrolments × 5 classes would have been 35 joined rows; each count is its own subquery.
    assert "<td>7</td><td>3</td><td>5</td>" in html
    assert "<td>1</td><td>1</td><td>0</td>" in html
    assert len(large) == len(small)
    [offerings_sql] = [q["sql"] for q in large.captured_queries if "training_klass" in q["sql"]]
    outer = offerings_sql.rsplit('AS "klass_count"', 1)[1]  # the query around the three subqueries
    assert "training_enrolment" not in outer and "training_klass" not in outer and "GROUP BY" not in outer


# --- Closed periods and pass rules -------------------------------------------------------------
def test_closed_period_page_keeps_the_dates(world, client_for) -> None:
    period = past_period(world.project, "1502")
    Period.objects.filter(pk=period.pk).update(closed_at=timezone.now())
    client = client_for(world.admin)
    url = reverse("training:period_edit", kwargs={"period_id": period.pk})
    html = client.get(url).content.decode()
    assert "本期已结束，不能再修改。" in html and "disabled" in html
    before = list(Period.objects.filter(pk=period.pk).values("starts_on", "ends_on", "selection_opens_at"))
    response = client.post(
        url,
        {"code": "1502", "starts_on": "2030-01-01", "ends_on": "2030-02-01", "selection_opens_at": "2030-01-01T08:00"},
    )
    assert response.status_code == 302  # the dates were not editable: only the code was saved
    assert list(Period.objects.filter(pk=period.pk).values("starts_on", "ends_on", "selection_opens_at")) == before


def test_pass_rule_of_zero_percent_is_refused_on_the_page(world, client_for) -> None:
    client = client_for(world.admin)
    url = reverse("training:offering_detail", kwargs={"offering_id": world.offering.pk})
    before = training_snapshot()
    response = client.post(url, {"required_percent": "0", "assignment_required": "yes"})
    assert response.status_code == 400
    assert "必修活动完成比例应在 1 到 100 之间。" in response.content.decode()
    assert training_snapshot() == before


# --- Enrolment management on the enrolment list ------------------------------------------------
def test_enrolment_list_offers_the_row_forms(world, client_for) -> None:
    html = (
        client_for(world.admin)
        .get(reverse("training:enrolment_list", kwargs={"offering_id": world.offering.pk}))
        .content.decode()
    )
    assert reverse("training:enrolment_update", kwargs={"enrolment_id": world.enrolment.pk}) in html
    assert reverse("training:enrolment_remove", kwargs={"enrolment_id": world.enrolment.pk}) in html
    assert 'name="fee_status"' in html and "未缴费" in html and 'name="klass"' in html and "推荐" in html


def test_enrolment_update_without_js_keeps_the_filters(world, client_for) -> None:
    client = client_for(world.admin)
    url = reverse("training:enrolment_update", kwargs={"enrolment_id": world.enrolment.pk})
    response = client.post(
        url,
        {"fee_status": "unpaid", "klass": world.klass.pk, "source": "recommended", "back": "status=selected&page=2"},
    )
    list_url = reverse("training:enrolment_list", kwargs={"offering_id": world.offering.pk})
    assert response.status_code == 302 and response["Location"] == f"{list_url}?status=selected&page=2"
    world.enrolment.refresh_from_db()
    assert (world.enrolment.fee_status, world.enrolment.klass, world.enrolment.source) == (
        "unpaid",
        world.klass,
        "recommended",
    )
    # The back link cannot lead anywhere else.
    response = client.post(url, {"back": "//evil.example/"})
    assert response["Location"].startswith(list_url)


def test_enrolment_update_with_htmx_answers_the_row(world, client_for) -> None:
    client = client_for(world.admin)
    url = reverse("training:enrolment_update", kwargs={"enrolment_id": world.enrolment.pk})
    response = client.post(url, {"fee_status": "paid"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'id="enrolment-{world.enrolment.pk}"' in html and "已保存 海珠老师 的选课" in html
    assert Enrolment.objects.get(pk=world.enrolment.pk).fee_status == "paid"
    # A full class: the row says why, and nothing changes.
    full = Klass.objects.create(offering=world.offering, name="满班", capacity=1)
    EnrolmentFactory(offering=world.offering, teacher=TeacherFactory(school=world.haizhu), klass=full)
    elsewhere = KlassFactory(offering=OfferingFactory(period=world.period))
    before = training_snapshot()
    response = client.post(url, {"klass": full.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 400 and "班级“满班”已满" in response.content.decode()
    # A class of another offering is not a choice.
    response = client.post(url, {"klass": elsewhere.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 400 and "请选择这门课程的班级" in response.content.decode()
    assert training_snapshot() == before


def test_enrolment_remove_from_the_list(world, client_for) -> None:
    client = client_for(world.admin)
    other = EnrolmentFactory(offering=world.offering, teacher=TeacherFactory(school=world.haizhu))
    response = client.post(
        reverse("training:enrolment_remove", kwargs={"enrolment_id": other.pk}), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "已移除" in response.content.decode()
    assert not Enrolment.objects.filter(pk=other.pk).exists()
    # Started learning: refused with a message, kept (without JS).
    Enrolment.objects.filter(pk=world.enrolment.pk).update(started_at=timezone.now(), status="learning")
    before = training_snapshot()
    response = client.post(
        reverse("training:enrolment_remove", kwargs={"enrolment_id": world.enrolment.pk}), follow=True
    )
    assert "不能移除选课" in response.content.decode()
    assert training_snapshot() == before


def test_enrolment_by_rule_as_recommended_from_the_page(world, client_for) -> None:
    TeacherFactory(school=world.haizhu)
    client = client_for(world.admin)
    offering = OfferingFactory(period=world.period)
    url = reverse("training:enrolment_rule", kwargs={"offering_id": offering.pk})
    html = client.get(url, {"preview": "1", "source": "recommended"}).content.decode()
    assert 'name="source" value="recommended"' in html
    response = client.post(url, {"source": "recommended"}, follow=True)
    assert "（推荐）" in response.content.decode()
    assert set(Enrolment.objects.filter(offering=offering).values_list("source", flat=True)) == {"recommended"}
    before = training_snapshot()
    response = client.post(url, {"source": "retake"}, follow=True)
    assert "选课来源应为“指定”或“推荐”" in response.content.decode()
    assert training_snapshot() == before
