"""Administration pages: the authorization matrix of each, and what each does."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from yanxiu.core.models import AuditEvent
from yanxiu.org.models import Role, RosterImport, School, Teacher
from yanxiu.org.tests.factories import SchoolFactory, TeacherFactory, district_admin, region, user_with_role
from yanxiu.org.tests.roster_files import csv_bytes, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(regions):
    haizhu = SchoolFactory(name="海珠一小", region=region("440105"))
    panyu = SchoolFactory(name="番禺一小", region=region("440113"))
    t_haizhu = TeacherFactory(teacher_no="H0001", school=haizhu, id_number="11010519491231002X")
    t_haizhu.user.mobile = "13812345678"
    t_haizhu.user.real_name = "海珠老师"
    t_haizhu.user.save()
    t_panyu = TeacherFactory(teacher_no="P0001", school=panyu)
    t_panyu.user.real_name = "番禺老师"
    t_panyu.user.save()
    return {"haizhu": haizhu, "panyu": panyu, "t_haizhu": t_haizhu, "t_panyu": t_panyu}


def snapshot():
    return (
        list(Teacher.objects.order_by("pk").values()),
        list(School.objects.order_by("pk").values()),
        AuditEvent.objects.exclude(action__startswith="login").count(),
    )


READ_URLS = [
    ("org:teacher_list", {}),
    ("org:teacher_create", {}),
    ("org:teacher_export", {}),
    ("org:school_list", {}),
    ("org:roster_upload", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), READ_URLS)
def test_anonymous_is_sent_to_login(world, name, kwargs) -> None:
    url = reverse(name, kwargs=kwargs)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("name", "kwargs"), READ_URLS)
@pytest.mark.parametrize("role", [Role.TUTOR, Role.SUPERVISOR, Role.COURSE_AUTHOR])
def test_non_admin_roles_are_refused(world, client_for, name, kwargs, role) -> None:
    user = user_with_role(role, region_code=None if role == Role.COURSE_AUTHOR else "440105")
    response = client_for(user).get(reverse(name, kwargs=kwargs))
    assert response.status_code == 403
    assert "管理员" in response.content.decode()


def test_learner_is_refused(world, client_for) -> None:
    response = client_for(world["t_haizhu"].user).get(reverse("org:teacher_list"))
    assert response.status_code == 403


def test_district_admin_lists_only_their_teachers_masked(world, client_for) -> None:
    response = client_for(district_admin("440105")).get(reverse("org:teacher_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "海珠老师" in html and "番禺老师" not in html
    assert "138****5678" in html and "13812345678" not in html
    assert "1101**********002X" in html and "11010519491231002X" not in html


def test_personal_data_right_unmasks(world, client_for) -> None:
    admin = district_admin("440105", sees_personal_data=True)
    html = client_for(admin).get(reverse("org:teacher_list")).content.decode()
    assert "13812345678" in html and "11010519491231002X" in html


def test_filters_cannot_widen_scope(world, client_for) -> None:
    client = client_for(district_admin("440105"))
    for params in ({"region": "440113"}, {"school": world["panyu"].pk}, {"q": "番禺"}, {"q": "P0001"}):
        html = client.get(reverse("org:teacher_list"), params).content.decode()
        assert "番禺老师" not in html
        assert "共 0 位教师" in html


def test_search_by_name_number_and_mobile(world, client_for) -> None:
    client = client_for(district_admin("440105"))
    for q in ("海珠老师", "H00"):
        html = client.get(reverse("org:teacher_list"), {"q": q}).content.decode()
        assert "共 1 位教师" in html, q
    # Without the right to see mobiles, an exact mobile would reveal the masked digits: no match.
    assert "共 0 位教师" in client.get(reverse("org:teacher_list"), {"q": "13812345678"}).content.decode()
    trusted = client_for(district_admin("440105", sees_personal_data=True))
    assert "共 1 位教师" in trusted.get(reverse("org:teacher_list"), {"q": "13812345678"}).content.decode()


def test_export_audit_never_holds_a_full_mobile(world, client_for) -> None:
    client_for(district_admin("440105", sees_personal_data=True)).get(
        reverse("org:teacher_export"), {"q": "13812345678"}
    )
    event = AuditEvent.objects.get(action="roster.exported")
    assert event.detail == {"filters": {"q": "138****5678"}}


def test_htmx_search_returns_the_table_only(world, client_for) -> None:
    response = client_for(district_admin("440105")).get(
        reverse("org:teacher_list"), {"q": "海珠"}, headers={"HX-Request": "true", "HX-Target": "teacher-table"}
    )
    html = response.content.decode()
    assert "<html" not in html and "海珠老师" in html


def test_teacher_list_query_count_is_bounded(world, client_for, django_assert_max_num_queries) -> None:
    for _ in range(30):
        TeacherFactory(school=world["haizhu"])
    client = client_for(district_admin("440105"))
    client.get(reverse("org:teacher_list"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("org:teacher_list"))
    assert response.status_code == 200


def test_other_districts_teacher_is_not_found_and_unchanged(world, client_for) -> None:
    client = client_for(district_admin("440105"))
    url = reverse("org:teacher_detail", kwargs={"teacher_id": world["t_panyu"].pk})
    before = snapshot()
    assert client.get(url).status_code == 404
    response = client.post(url, {"real_name": "改名", "school": world["haizhu"].pk, "status": "active"})
    assert response.status_code == 404
    password_url = reverse("org:teacher_issue_password", kwargs={"teacher_id": world["t_panyu"].pk})
    assert client.post(password_url).status_code == 404
    assert snapshot() == before


def test_edit_teacher_in_scope_records_audit(world, client_for) -> None:
    admin = district_admin("440105")
    teacher = world["t_haizhu"]
    response = client_for(admin).post(
        reverse("org:teacher_detail", kwargs={"teacher_id": teacher.pk}),
        {
            "real_name": "海珠老师二",
            "mobile": "",
            "id_number": "",
            "school": world["haizhu"].pk,
            "stage": "",
            "subject": "",
            "status": "retired",
        },
    )
    assert response.status_code == 302
    teacher.refresh_from_db()
    teacher.user.refresh_from_db()
    assert teacher.user.real_name == "海珠老师二"
    assert teacher.status == "retired"
    # Without the right to see them, blank personal fields keep the stored values.
    assert teacher.user.mobile == "13812345678"
    assert teacher.id_number == "11010519491231002X"
    event = AuditEvent.objects.get(action="teacher.updated")
    assert event.actor == admin
    assert "13812345678" not in str(event.detail)


def test_moving_a_teacher_to_another_districts_school_is_refused(world, client_for) -> None:
    admin = district_admin("440105")
    before = snapshot()
    response = client_for(admin).post(
        reverse("org:teacher_detail", kwargs={"teacher_id": world["t_haizhu"].pk}),
        {"real_name": "x", "school": world["panyu"].pk, "status": "active"},
    )
    assert response.status_code == 400
    assert "请选择您管辖范围内的学校" in response.content.decode()
    assert snapshot() == before


def test_bad_input_on_edit_is_explained_and_nothing_changes(world, client_for) -> None:
    admin = district_admin("440105")
    before = snapshot()
    response = client_for(admin).post(
        reverse("org:teacher_detail", kwargs={"teacher_id": world["t_haizhu"].pk}),
        {"real_name": "x", "mobile": "12345", "school": world["haizhu"].pk, "status": "active"},
    )
    assert response.status_code == 400
    assert "手机号应为 11 位数字" in response.content.decode()
    assert snapshot() == before


def test_create_teacher(world, client_for) -> None:
    admin = district_admin("440105")
    response = client_for(admin).post(
        reverse("org:teacher_create"),
        {
            "teacher_no": "H0002",
            "real_name": "新老师",
            "mobile": "13900000000",
            "id_number": "",
            "school": world["haizhu"].pk,
            "stage": "",
            "subject": "",
            "status": "active",
        },
    )
    assert response.status_code == 302
    teacher = Teacher.objects.get(teacher_no="H0002")
    assert teacher.user.mobile == "13900000000"
    assert AuditEvent.objects.filter(action="teacher.created", actor=admin).exists()


def test_create_teacher_with_duplicate_number_is_explained(world, client_for) -> None:
    before = snapshot()
    response = client_for(district_admin("440105")).post(
        reverse("org:teacher_create"),
        {"teacher_no": "P0001", "real_name": "重名", "school": world["haizhu"].pk, "status": "active"},
    )
    assert response.status_code == 400
    assert "已被其他账号使用" in response.content.decode()
    assert snapshot() == before


def test_issue_password_then_teacher_must_change_it(world, client_for) -> None:
    admin = district_admin("440105")
    response = client_for(admin).post(
        reverse("org:teacher_issue_password", kwargs={"teacher_id": world["t_haizhu"].pk})
    )
    password = response.context["password"]
    assert len(password) == 10
    client = Client()
    assert client.post(reverse("accounts:login"), {"username": "H0001", "password": password}).status_code == 302
    assert client.get("/").url == reverse("accounts:password_change")


def test_export_is_scoped_and_masked(world, client_for) -> None:
    response = client_for(district_admin("440105")).get(reverse("org:teacher_export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0] == ("教师编号", "姓名", "手机号", "身份证号", "区域", "学校", "学段", "学科", "在职状态")
    assert rows[1:] == [
        ("H0001", "海珠老师", "138****5678", "1101**********002X", "海珠区", "海珠一小", "小学", "语文", "在职")
    ]
    assert AuditEvent.objects.filter(action="roster.exported").count() == 1


def test_export_unmasked_with_the_right(world, client_for) -> None:
    admin = district_admin("440105", sees_personal_data=True)
    response = client_for(admin).get(reverse("org:teacher_export"))
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert rows[1][2:4] == ("13812345678", "11010519491231002X")


def test_school_pages(world, client_for) -> None:
    admin = district_admin("440105")
    client = client_for(admin)
    html = client.get(reverse("org:school_list")).content.decode()
    assert "海珠一小" in html and "番禺一小" not in html
    assert client.get(reverse("org:school_edit", kwargs={"school_id": world["panyu"].pk})).status_code == 404
    response = client.post(
        reverse("org:school_create"), {"name": "海珠二小", "region": "440105", "ownership": "private"}
    )
    assert response.status_code == 302
    assert School.objects.get(name="海珠二小").ownership == "private"
    # A district admin cannot create a school in another district.
    response = client.post(
        reverse("org:school_create"), {"name": "番禺二小", "region": "440113", "ownership": "public"}
    )
    assert response.status_code == 400
    assert not School.objects.filter(name="番禺二小").exists()
    # Duplicate name in the same district is explained.
    response = client.post(
        reverse("org:school_create"), {"name": "海珠一小", "region": "440105", "ownership": "public"}
    )
    assert "已有名为“海珠一小”的学校" in response.content.decode()


def test_school_admin_cannot_create_schools(world, client_for) -> None:
    admin = user_with_role(Role.SCHOOL_ADMIN, school=world["haizhu"])
    client = client_for(admin)
    assert client.get(reverse("org:school_create")).status_code == 403
    assert (
        client.post(reverse("org:school_create"), {"name": "x", "region": "440105", "ownership": "public"}).status_code
        == 403
    )
    assert not School.objects.filter(name="x").exists()


# --- Roster import through the pages ------------------------------------------------------------
def upload(client: Client, data: bytes, name: str = "roster.csv", create_schools: bool = False):
    return client.post(
        reverse("org:roster_upload"),
        {"file": SimpleUploadedFile(name, data), **({"create_schools": "on"} if create_schools else {})},
    )


def test_upload_previews_and_writes_nothing_until_confirmed(world, client_for) -> None:
    admin = district_admin("440105")
    client = client_for(admin)
    before = snapshot()[0]
    response = upload(
        client, csv_bytes([row("N001"), row("N002", mobile="123"), row("N003", region="440113", school="番禺一小")])
    )
    assert response.status_code == 302
    job = RosterImport.objects.get()
    assert job.status == "preview"
    assert job.counts["valid"] == 1 and job.counts["errors"] == 2
    html = client.get(response["Location"]).content.decode()
    assert "手机号应为 11 位数字" in html
    assert "区域“番禺区”不在您的管辖范围内" in html
    assert "只导入有效的 1 行" in html
    assert list(Teacher.objects.order_by("pk").values()) == before

    confirm = reverse("org:roster_import_confirm", kwargs={"job_id": job.pk})
    assert client.post(confirm).status_code == 302
    assert client.post(confirm).status_code == 302  # a double click imports once
    job.refresh_from_db()
    assert job.status == "done"
    assert job.summary["created"] == 1
    assert Teacher.objects.filter(teacher_no="N001").count() == 1
    assert not Teacher.objects.filter(teacher_no__in=["N002", "N003"]).exists()
    assert AuditEvent.objects.filter(action="roster.confirmed").count() == 1


def test_cancel_writes_nothing(world, client_for) -> None:
    client = client_for(district_admin("440105"))
    upload(client, csv_bytes([row("N001")]))
    job = RosterImport.objects.get()
    assert client.post(reverse("org:roster_import_cancel", kwargs={"job_id": job.pk})).status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert not Teacher.objects.filter(teacher_no="N001").exists()
    # Confirming after cancelling does nothing.
    client.post(reverse("org:roster_import_confirm", kwargs={"job_id": job.pk}))
    assert not Teacher.objects.filter(teacher_no="N001").exists()


def test_bad_file_upload_is_explained(world, client_for) -> None:
    client = client_for(district_admin("440105"))
    response = upload(client, "工号,名字\n1,2\n".encode())
    assert response.status_code == 302
    job = RosterImport.objects.get()
    assert job.status == "failed"
    assert "表头缺少" in client.get(response["Location"]).content.decode()
    response = upload(client, b"")
    assert response.status_code == 400
    assert "文件是空的" in response.content.decode()


def test_someone_elses_import_is_not_found(world, client_for) -> None:
    owner = client_for(district_admin("440105"))
    upload(owner, csv_bytes([row("N001")]))
    job = RosterImport.objects.get()
    intruder = client_for(district_admin("440113"))
    assert intruder.get(reverse("org:roster_import", kwargs={"job_id": job.pk})).status_code == 404
    assert intruder.post(reverse("org:roster_import_confirm", kwargs={"job_id": job.pk})).status_code == 404
    assert intruder.post(reverse("org:roster_import_cancel", kwargs={"job_id": job.pk})).status_code == 404
    job.refresh_from_db()
    assert job.status == "preview"


@pytest.mark.django_db(transaction=True)
def test_large_file_runs_in_the_background_with_progress(world, client_for, settings) -> None:
    """The real worker runs the tasks; it closes its connections, so the test commits for real."""
    from django.core.management import call_command

    settings.ROSTER_BACKGROUND_ROWS = 5
    client = client_for(district_admin("440105"))
    data = csv_bytes([row(f"B{i:03d}") for i in range(40)])
    response = upload(client, data)
    job = RosterImport.objects.get()
    assert job.status == "checking"
    html = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in html and "progressbar" in html
    call_command("db_worker", batch=True, reload=False, interval=0)
    job.refresh_from_db()
    assert job.status == "preview" and job.counts["valid"] == 40
    client.post(reverse("org:roster_import_confirm", kwargs={"job_id": job.pk}))
    job.refresh_from_db()
    assert job.status == "applying"
    call_command("db_worker", batch=True, reload=False, interval=0)
    job.refresh_from_db()
    assert job.status == "done" and job.percent == 100
    assert Teacher.objects.filter(teacher_no__startswith="B").count() == 40


def _write_requests(world):
    t, school = world["t_haizhu"], world["haizhu"]
    return [
        (
            reverse("org:teacher_create"),
            {"teacher_no": "Z001", "real_name": "x", "school": school.pk, "status": "active"},
        ),
        (
            reverse("org:teacher_detail", kwargs={"teacher_id": t.pk}),
            {"real_name": "x", "school": school.pk, "status": "left"},
        ),
        (reverse("org:teacher_issue_password", kwargs={"teacher_id": t.pk}), {}),
        (reverse("org:roster_upload"), {"file": SimpleUploadedFile("r.csv", csv_bytes([row("Z002")]))}),
        (reverse("org:school_create"), {"name": "新校", "region": "440105", "ownership": "public"}),
        (reverse("org:school_edit", kwargs={"school_id": school.pk}), {"name": "改名", "ownership": "public"}),
    ]


def _password_hashes():
    from yanxiu.accounts.models import User

    return list(User.objects.order_by("pk").values_list("password", flat=True))


@pytest.mark.parametrize("who", ["anonymous", "tutor", "learner", "other_district", "school_admin_elsewhere"])
def test_denied_writes_change_nothing(world, client_for, who) -> None:
    clients = {
        "anonymous": lambda: Client(),
        "tutor": lambda: client_for(user_with_role(Role.TUTOR, region_code="440105")),
        "learner": lambda: client_for(world["t_panyu"].user),
        "other_district": lambda: client_for(district_admin("440113")),
        "school_admin_elsewhere": lambda: client_for(user_with_role(Role.SCHOOL_ADMIN, school=world["panyu"])),
    }
    client = clients[who]()
    for url, data in _write_requests(world):
        if url == reverse("org:roster_upload") and who in ("other_district", "school_admin_elsewhere"):
            continue  # any administrator may upload; the rows are checked against their scope (tested above)
        before = (snapshot(), _password_hashes(), RosterImport.objects.count())
        response = client.post(url, data)
        if who == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
        else:
            # Out of scope: refused outright (403) or reported as not there (404), or the form is
            # re-shown because the school in the form is not one the user may choose (400).
            assert response.status_code in (400, 403, 404), (url, response.status_code)
        assert (snapshot(), _password_hashes(), RosterImport.objects.count()) == before, url


def test_oversize_upload_is_refused_unread(world, client_for, settings) -> None:
    settings.ROSTER_MAX_UPLOAD_BYTES = 1000
    client = client_for(district_admin("440105"))
    response = upload(client, csv_bytes([row(f"Q{i:04d}") for i in range(100)]))
    assert response.status_code == 400
    assert "文件太大" in response.content.decode()
    assert not RosterImport.objects.exists()


def test_error_report_lists_every_bad_row(world, client_for, monkeypatch) -> None:
    from yanxiu.org import roster

    monkeypatch.setattr(roster, "PREVIEW_ERRORS", 2)
    client = client_for(district_admin("440105"))
    upload(client, csv_bytes([row("E001", mobile="1"), row("E002", mobile="2"), row("E003", mobile="3"), row("OK01")]))
    job = RosterImport.objects.get()
    assert len(job.errors) == 2 and job.counts["errors"] == 3
    html = client.get(reverse("org:roster_import", kwargs={"job_id": job.pk})).content.decode()
    assert "共 3 行有问题，以下显示前 2 行" in html
    response = client.get(reverse("org:roster_import_errors", kwargs={"job_id": job.pk}))
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert rows[0] == ("行号", "教师编号", "原因")
    assert [r[:2] for r in rows[1:]] == [(2, "E001"), (3, "E002"), (4, "E003")]
    intruder = client_for(district_admin("440113"))
    assert intruder.get(reverse("org:roster_import_errors", kwargs={"job_id": job.pk})).status_code == 404
