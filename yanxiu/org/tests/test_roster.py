"""Roster import: validation of every bad input, idempotent re-import, scope, all-or-nothing."""

import io
import zipfile

import pytest
from openpyxl import load_workbook

from yanxiu.accounts.models import User
from yanxiu.core.errors import ValidationFailed
from yanxiu.core.models import AuditEvent
from yanxiu.org import roster, validators
from yanxiu.org.models import School, Teacher
from yanxiu.org.permissions import AdminScope, admin_scope
from yanxiu.org.tests.factories import SchoolFactory, TeacherFactory, district_admin, region
from yanxiu.org.tests.roster_files import csv_bytes, row, xlsx_bytes

pytestmark = pytest.mark.django_db
EVERYTHING = AdminScope(everything=True, personal_everything=True)
GOOD_ID = "44010519900101123" + validators.id_number_check_char("44010519900101123")


@pytest.fixture
def schools(regions):
    return {
        "haizhu": SchoolFactory(name="海珠一小", region=region("440105")),
        "panyu": SchoolFactory(name="番禺一小", region=region("440113")),
        "city": SchoolFactory(name="市属中学", region=region("440100")),
    }


def check(data: bytes, filename: str = "roster.csv", scope: AdminScope = EVERYTHING, **kwargs):
    return roster.roster_check(data, filename, scope=scope, **kwargs)


def import_file(data: bytes, filename: str = "roster.csv", scope: AdminScope = EVERYTHING, **kwargs):
    plan = check(data, filename, scope, **kwargs)
    return plan, roster.roster_apply(plan, actor=None, import_label="test")


def test_csv_import_creates_teachers_and_accounts(schools) -> None:
    data = csv_bytes([row("A001", mobile="13800000001", id_number=GOOD_ID), row("A002", name="李华", subject="数学")])
    _plan, summary = import_file(data)
    assert summary == {"created": 2, "updated": 0, "unchanged": 0, "errors": 0, "schools_created": 0}
    teacher = Teacher.objects.select_related("user", "subject", "stage").get(teacher_no="A001")
    assert teacher.user.username == "A001"
    assert teacher.user.mobile == "13800000001"
    assert teacher.id_number == GOOD_ID
    assert teacher.school == schools["haizhu"]
    assert (teacher.stage.name, teacher.subject.name) == ("小学", "语文")
    assert not teacher.user.has_usable_password()
    assert teacher.user.must_change_password
    assert AuditEvent.objects.filter(action="teacher.imported").count() == 2
    assert AuditEvent.objects.filter(action="roster.imported").count() == 1


def test_xlsx_import_with_numeric_cells(schools) -> None:
    data = xlsx_bytes(
        [[20001, "赵敏", 13800000002, None, 440105, "海珠一小", "小学", "英语", "在职"]],
    )
    _, summary = import_file(data, "roster.xlsx")
    assert summary["created"] == 1
    teacher = Teacher.objects.get(teacher_no="20001")
    assert teacher.user.mobile == "13800000002"


def test_reimport_of_the_same_file_changes_nothing(schools) -> None:
    data = csv_bytes([row("A001", mobile="13800000001"), row("A002")])
    import_file(data)
    before = list(Teacher.objects.order_by("pk").values())
    events = AuditEvent.objects.count()
    _plan, summary = import_file(data)
    assert summary == {"created": 0, "updated": 0, "unchanged": 2, "errors": 0, "schools_created": 0}
    assert list(Teacher.objects.order_by("pk").values()) == before
    assert AuditEvent.objects.count() == events + 1  # only the import's own summary event


def test_reimport_updates_changed_rows_by_teacher_number(schools) -> None:
    import_file(csv_bytes([row("A001", mobile="13800000001"), row("A002")]))
    _, summary = import_file(
        csv_bytes([row("A001", name="王大明", school="番禺一小", region="番禺区", status="退休"), row("A002")])
    )
    assert summary["updated"] == 1 and summary["unchanged"] == 1
    teacher = Teacher.objects.select_related("user").get(teacher_no="A001")
    assert teacher.user.real_name == "王大明"
    assert teacher.user.mobile is None
    assert teacher.school == schools["panyu"]
    assert teacher.status == "retired"


def test_a_mobile_still_held_by_another_teacher_is_refused_even_in_a_swap(schools) -> None:
    """Swapping two mobiles takes two imports (first clear, then set): each row is checked
    against the accounts as they are, so no row can silently take another person's login."""
    import_file(csv_bytes([row("A001", mobile="13800000001"), row("A002", mobile="13800000002")]))
    plan = check(csv_bytes([row("A001", mobile="13800000002"), row("A002", mobile="13800000001")]))
    assert [e.message for e in plan.errors] == ["手机号已被其他账号使用。"] * 2
    assert User.objects.get(username="A001").mobile == "13800000001"


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (row("", name="无编号"), "教师编号不能为空"),
        (row("=1+1"), "教师编号只能包含"),
        (row("B001", name=""), "姓名不能为空"),
        (row("B001", mobile="1380000"), "手机号应为 11 位数字"),
        (row("B001", id_number="440105199001011230"), "身份证号校验位不正确"),
        (row("B001", id_number="44010519901301123X"), "出生日期无效"),
        (row("B001", region="999999"), "区域代码 999999"),
        (row("B001", region="火星区"), "找不到区域“火星区”"),
        (row("B001", region="朝阳区"), "不唯一"),
        (row("B001", school="不存在的学校"), "没有名为“不存在的学校”的学校"),
        (row("B001", school=""), "学校不能为空"),
        (row("B001", stage="大学"), "学段“大学”无效"),
        (row("B001", subject="炼金术"), "学科“炼金术”不在学科表中"),
        (row("B001", status="失踪"), "在职状态“失踪”无效"),
    ],
)
def test_each_bad_row_is_reported_with_its_reason_and_nothing_is_written(schools, bad_row, reason) -> None:
    region("220104"), region("110105")  # two 朝阳区 for the ambiguity case
    plan = check(csv_bytes([row("OK01"), bad_row]))
    assert plan.error_count == 1
    assert plan.errors[0].line == 3
    assert reason in plan.errors[0].message
    assert [r.teacher_no for r in plan.rows] == ["OK01"]
    assert not Teacher.objects.exists()


def test_duplicate_teacher_number_in_file_reports_the_first_line(schools) -> None:
    plan = check(csv_bytes([row("D001"), row("D002"), row("D001", name="重复")]))
    assert [(e.line, e.message) for e in plan.errors] == [(4, "教师编号与第 2 行重复。")]


def test_duplicate_mobile_and_id_number_in_file(schools) -> None:
    plan = check(
        csv_bytes(
            [
                row("D001", mobile="13800000001", id_number=GOOD_ID),
                row("D002", mobile="13800000001", id_number=GOOD_ID),
            ]
        )
    )
    assert plan.errors[0].message == "手机号与第 2 行重复。 身份证号与第 2 行重复。"


def test_mobile_of_another_account_is_refused(schools) -> None:
    other = TeacherFactory(school=schools["haizhu"])
    other.user.mobile = "13800000009"
    other.user.save()
    plan = check(csv_bytes([row("N001", mobile="13800000009")]))
    assert plan.errors[0].message == "手机号已被其他账号使用。"


def test_city_direct_school_by_city_code_and_label(schools) -> None:
    _, summary = import_file(
        csv_bytes(
            [
                row("C001", region="440100", school="市属中学"),
                row("C002", region="局属学校", school="市属中学"),
            ]
        ),
        scope=admin_scope(district_admin_city()),
    )
    assert summary["created"] == 2
    assert set(Teacher.objects.values_list("school__name", flat=True)) == {"市属中学"}


def district_admin_city():
    from yanxiu.org.models import Role
    from yanxiu.org.tests.factories import user_with_role

    return user_with_role(Role.CITY_ADMIN, region_code="440100")


def test_district_admin_cannot_import_into_another_district(schools) -> None:
    admin = district_admin("440105")
    plan = check(csv_bytes([row("H001"), row("P001", region="440113", school="番禺一小")]), scope=admin_scope(admin))
    assert [r.teacher_no for r in plan.rows] == ["H001"]
    assert plan.errors[0].message == "区域“番禺区”不在您的管辖范围内。"


def test_district_admin_cannot_take_over_a_teacher_of_another_district(schools) -> None:
    TeacherFactory(teacher_no="P001", school=schools["panyu"])
    admin = district_admin("440105")
    plan = check(csv_bytes([row("P001")]), scope=admin_scope(admin))
    assert plan.errors[0].message == "该教师编号属于您管辖范围之外的教师，不能修改。"


def test_missing_schools_created_only_on_request(schools) -> None:
    data = csv_bytes([row("S001", school="新建学校甲"), row("S002", school="新建学校甲")])
    assert check(data).error_count == 2
    plan, summary = import_file(data, create_schools=True)
    assert plan.counts["new_schools"] == 1
    assert summary["created"] == 2
    school = School.objects.get(name="新建学校甲")
    assert school.region_id == "440105"
    assert set(school.teachers.values_list("teacher_no", flat=True)) == {"S001", "S002"}


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "empty.csv", "empty_file"),
        (b"   \n  ", "blank.csv", "empty_file"),
        ("教师编号,姓名,区域,学校\n".encode(), "header-only.csv", "empty_file"),
        ("工号,名字,地区,单位\nA,B,C,D\n".encode(), "wrong-headers.csv", "bad_headers"),
        ("教师编号,姓名,区域,学校,姓名\nA,B,C,D,E\n".encode(), "dup-headers.csv", "bad_headers"),
        (b"PK\x03\x04not really a zip" * 10, "broken.xlsx", "bad_file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "picture.xlsx", "bad_file"),
        (bytes(range(256)) * 40, "garbage.csv", "bad_file"),
    ],
)
def test_bad_files_are_refused_whole(schools, data, filename, code) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check(data, filename)
    assert caught.value.code == code
    assert caught.value.message  # a Chinese sentence for the administrator
    assert not Teacher.objects.exists()


def test_wrong_headers_message_names_what_is_missing(schools) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check("工号,姓名,区域\n1,2,3\n".encode())
    assert "表头缺少：教师编号、学校" in caught.value.message


def test_gbk_csv_is_read(schools) -> None:
    plan = check(csv_bytes([row("G001")], encoding="gb18030"))
    assert plan.counts["valid"] == 1


def test_large_garbage_file_is_reported_not_crashed(schools, settings) -> None:
    settings.ROSTER_MAX_ROWS = 50_000
    lines = "\n".join(f"x{i},,,,火星,,,,," for i in range(20_000))
    plan = check(("教师编号,姓名,手机号,身份证号,区域,学校,学段,学科,在职状态\n" + lines).encode())
    assert plan.total == 20_000
    assert plan.error_count == 20_000
    assert len(plan.errors) == 20_000
    assert not plan.rows


def test_too_many_rows_refused(schools, settings) -> None:
    settings.ROSTER_MAX_ROWS = 3
    with pytest.raises(ValidationFailed) as caught:
        check(csv_bytes([row(f"R{i}") for i in range(5)]))
    assert caught.value.code == "too_many_rows"


def test_zip_bomb_shaped_xlsx_is_refused(schools) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * 5_000_000)
    with pytest.raises(ValidationFailed):
        check(buffer.getvalue(), "bomb.xlsx")


def test_formula_cells_are_kept_as_text_and_neutralised_on_export(schools) -> None:
    from yanxiu.core.spreadsheets import write_xlsx

    import_file(csv_bytes([row("F001", name='=HYPERLINK("http://x")', school="海珠一小")]))
    teacher = Teacher.objects.select_related("user").get(teacher_no="F001")
    assert teacher.user.real_name == '=HYPERLINK("http://x")'
    out = io.BytesIO()
    write_xlsx(out, ["姓名"], [[teacher.user.real_name], ["+1"], ["-1"], ["@x"], ["正常"]], title="t")
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    values = [c.value for c in sheet["A"]][1:]
    assert values == ['\'=HYPERLINK("http://x")', "'+1", "'-1", "'@x", "正常"]
    assert all(cell.data_type == "s" for cell in sheet["A"])


def test_apply_is_all_or_nothing(schools, monkeypatch) -> None:
    plan = check(csv_bytes([row("X001"), row("X002")]))

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(roster, "audit_record_many", explode)
    with pytest.raises(RuntimeError):
        roster.roster_apply(plan, actor=None, import_label="test")
    assert not Teacher.objects.exists()
    assert not User.objects.filter(username__in=["X001", "X002"]).exists()


def test_conflict_at_apply_time_writes_nothing(schools) -> None:
    plan = check(csv_bytes([row("Y001", mobile="13800000007"), row("Y002")]))
    # Someone takes the mobile between the check and the apply.
    other = TeacherFactory(school=schools["haizhu"])
    other.user.mobile = "13800000007"
    other.user.save()
    with pytest.raises(ValidationFailed) as caught:
        roster.roster_apply(plan, actor=None, import_label="test")
    assert caught.value.code == "import_conflict"
    assert not Teacher.objects.filter(teacher_no__in=["Y001", "Y002"]).exists()


def test_teacher_numbers_differing_only_in_case_are_one_account(schools) -> None:
    plan = check(csv_bytes([row("T9001"), row("t9001", name="另一人")]))
    assert [(e.line, e.message) for e in plan.errors] == [(3, "教师编号与第 2 行重复。")]
    _, summary = import_file(csv_bytes([row("T9001"), row("t9001", name="另一人")]))
    assert summary["created"] == 1
