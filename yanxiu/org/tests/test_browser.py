"""A district administrator's roster round trip, in the real Chromium.

Sign in → workbench → import a roster (preview with reasons, confirm) → the teacher list shows only
the district's teachers, masked → htmx search → masked Excel export → phone layout → sign out.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, Request, Response, expect

from yanxiu.conftest import PASSWORD
from yanxiu.core.masking import mask_id_number, mask_mobile
from yanxiu.org.tests.factories import SchoolFactory, TeacherFactory, UserFactory, district_admin, make_regions
from yanxiu.org.tests.roster_files import row, xlsx_bytes
from yanxiu.org.validators import id_number_check_char

pytestmark = pytest.mark.browser

EXPORT_HEADERS = ["教师编号", "姓名", "手机号", "身份证号", "区域", "学校", "学段", "学科", "在职状态"]

# The 番禺 teacher: the 海珠 administrator must never see any of this.
PANYU_NO, PANYU_NAME, PANYU_MOBILE = "PY0001", "钟离远", "13900000009"


def id_number(first17: str) -> str:
    return first17 + id_number_check_char(first17)


# Two good 海珠 rows, one bad mobile, one row for 番禺区 (out of the administrator's scope).
GOOD = [
    ("HZ0001", "林晓燕", "13800000001", id_number("44010519850101002")),
    ("HZ0002", "陈志强", "13800000002", id_number("44010519900215003")),
]
BAD_MOBILE = ("HZ0003", "张三丰", "1380000")
OUT_OF_SCOPE = ("PY0002", "何家明", "13800000004")


@pytest.fixture
def haizhu_admin(transactional_db: Any) -> Any:
    """Committed data, for the live server thread (make_regions also reseeds stages and subjects)."""
    regions = make_regions()
    SchoolFactory(name="海珠一小", region=regions["440105"])
    panyu = SchoolFactory(name="番禺一小", region=regions["440113"])
    TeacherFactory(
        teacher_no=PANYU_NO,
        school=panyu,
        user=UserFactory(username=PANYU_NO, real_name=PANYU_NAME, mobile=PANYU_MOBILE),
    )
    return district_admin("440105", real_name="海珠区管理员")


def roster_file(folder: Path) -> Path:
    rows = [row(no, name, mobile, idn) for no, name, mobile, idn in GOOD]
    rows.append(row(*BAD_MOBILE))
    rows.append(row(*OUT_OF_SCOPE, region="440113", school="番禺一小"))
    path = folder / "海珠区名册.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    return path


def test_district_admin_imports_sees_exports_and_signs_out(
    live_server: Any, page: Page, haizhu_admin: Any, tmp_path: Path
) -> None:
    url = live_server.url
    broken: list[str] = []
    served: set[str] = set()

    # Static files (Bootstrap, htmx) come from the live server; none may be missing.
    def watch(response: Response) -> None:
        if "/static/" in response.url:
            if response.status >= 400:
                broken.append(f"{response.status} {response.url}")
            else:
                served.add(response.url.rsplit("/", 1)[-1])

    def failed(request: Request) -> None:
        if "/static/" in request.url:
            broken.append(f"failed {request.url}: {request.failure}")

    page.on("response", watch)
    page.on("requestfailed", failed)
    page.on("pageerror", lambda error: broken.append(f"script error {error}"))

    # --- Sign in; a district administrator lands on their workbench -------------------------
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("教师编号或手机号").fill(haizhu_admin.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/workbench/district_admin/$"))
    expect(page.get_by_role("heading", name="区县管理员工作台")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_have_text("海珠区管理员")
    expect(page.get_by_test_id("stat-teachers")).to_have_text("0")  # the 番禺 teacher is not counted

    # --- Upload the roster and read the preview ---------------------------------------------
    page.get_by_role("main").get_by_role("link", name="导入名册").click()
    expect(page).to_have_url(re.compile(r"/org/imports/new/$"))
    page.get_by_label("名册文件").set_input_files(roster_file(tmp_path))
    page.get_by_role("button", name="上传并预览").click()
    expect(page).to_have_url(re.compile(r"/org/imports/\d+/$"))
    expect(page.get_by_test_id("import-status")).to_have_text("待确认")
    expect(page.get_by_test_id("error-count")).to_have_text("2")
    errors = page.get_by_test_id("import-errors").locator("tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text(BAD_MOBILE[0])
    expect(errors.nth(0)).to_contain_text("手机号应为 11 位数字")
    expect(errors.nth(1)).to_contain_text(OUT_OF_SCOPE[0])
    expect(errors.nth(1)).to_contain_text("不在您的管辖范围内")

    # --- Confirm: only the two valid rows are written ----------------------------------------
    confirm = page.get_by_test_id("confirm-import")
    expect(confirm).to_have_text("只导入有效的 2 行")
    confirm.click()
    summary = page.get_by_test_id("import-summary")
    expect(summary).to_contain_text("新增 2 位")
    expect(summary).to_contain_text("跳过有问题的 2 行")

    # --- The teacher list: the district's teachers, masked; nothing of 番禺 ------------------
    page.get_by_role("link", name="查看教师名册").click()
    expect(page).to_have_url(re.compile(r"/org/teachers/$"))
    expect(page.get_by_test_id("teacher-count")).to_have_text("共 2 位教师")
    table = page.locator("#teacher-table")
    for no, name, mobile, _idn in GOOD:
        line = table.locator("tbody tr", has_text=no)
        expect(line).to_contain_text(name)
        expect(line).to_contain_text(mask_mobile(mobile))
        expect(line).to_contain_text("海珠一小")
    html = page.content()
    assert "138****0001" in html
    for _no, _name, mobile, idn in GOOD:
        assert mobile not in html
        assert idn not in html
        assert mask_id_number(idn) in html  # the column shows from md up; masked in any case
    for secret in (PANYU_NAME, PANYU_NO, PANYU_MOBILE, BAD_MOBILE[1], OUT_OF_SCOPE[1]):
        assert secret not in html

    # --- Search by name: htmx swaps the table, the page does not reload -----------------------
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("搜索").fill(GOOD[0][1])
    page.get_by_label("搜索").press("Enter")
    expect(page.get_by_test_id("teacher-count")).to_have_text("共 1 位教师")
    expect(page).to_have_url(re.compile(r"/org/teachers/\?q="))
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text(GOOD[0][1])
    expect(table).not_to_contain_text(GOOD[1][1])
    assert page.evaluate("window.__sameDocument") is True
    # The export follows the filters on screen, even after an htmx search.
    with page.expect_download() as filtered_info:
        page.get_by_test_id("export").click()
    filtered = tmp_path / "filtered.xlsx"
    filtered_info.value.save_as(filtered)
    filtered_rows = list(load_workbook(filtered, read_only=True).active.iter_rows(values_only=True))
    assert [r[0] for r in filtered_rows[1:]] == [GOOD[0][0]]
    # Back to the whole list before exporting everything.
    page.get_by_label("搜索").fill("")
    page.get_by_label("搜索").press("Enter")
    expect(page.get_by_test_id("teacher-count")).to_have_text("共 2 位教师")

    # --- Export: the district's rows only, masked --------------------------------------------
    with page.expect_download() as download_info:
        page.get_by_test_id("export").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    exported = tmp_path / "export.xlsx"
    download.save_as(exported)
    sheet = load_workbook(exported, read_only=True).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == EXPORT_HEADERS
    data = sorted(values[1:])
    assert [r[0] for r in data] == [no for no, *_ in GOOD]
    for r, (no, name, mobile, idn) in zip(data, GOOD, strict=True):
        assert r[:4] == [no, name, mask_mobile(mobile), mask_id_number(idn)]
        assert r[4:6] == ["海珠区", "海珠一小"]
        assert r[8] == "在职"
    flat = " ".join(str(cell) for r in values for cell in r if cell is not None)
    for secret in (PANYU_NAME, PANYU_NO, PANYU_MOBILE, "番禺", *(m for _, _, m, _ in GOOD), *(i for *_, i in GOOD)):
        assert secret not in flat

    # --- On a phone: no sideways scrolling of the page; only the table may scroll ------------
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{url}/org/teachers/")
    expect(page.get_by_test_id("teacher-count")).to_have_text("共 2 位教师")
    shot = tmp_path / "teacher-list-390.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    widths = page.evaluate(
        "({page: document.documentElement.scrollWidth, body: document.body.scrollWidth, view: window.innerWidth})"
    )
    assert widths["page"] <= widths["view"] + 1, widths
    assert widths["body"] <= widths["view"] + 1, widths

    # --- Sign out through the phone menu (Bootstrap's script is served) ----------------------
    page.get_by_role("button", name="展开菜单").click()
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_text("您已安全退出。")).to_be_visible()
    page.goto(f"{url}/org/teachers/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/org/teachers/$"))
    expect(page.get_by_label("教师编号或手机号")).to_be_visible()

    assert broken == []
    assert {"bootstrap.min.css", "site.css", "bootstrap.bundle.min.js"} <= served, served
    assert any(name.startswith("htmx") for name in served), served
