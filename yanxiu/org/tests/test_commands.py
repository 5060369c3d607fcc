"""Operator commands: JSON summary last, errors on stderr with a non-zero exit, idempotent."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yanxiu.org.models import Region, Teacher
from yanxiu.org.tests.factories import SchoolFactory, region
from yanxiu.org.tests.roster_files import csv_bytes, row, xlsx_bytes

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[dict, str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return json.loads(out.getvalue().strip().splitlines()[-1]), out.getvalue(), err.getvalue()


def test_load_regions_is_idempotent_and_complete() -> None:
    summary, _, _ = run("load-regions")
    assert summary["created"] > 3000 and summary["errors"] == 0
    assert Region.objects.get(code="440105").name == "海珠区"
    assert Region.objects.get(code="440105").parent_id == "440100"
    assert Region.objects.get(code="440100").parent_id == "440000"
    assert Region.objects.get(code="441900").level == "city"  # 东莞市: a city without districts
    again, _, _ = run("load-regions")
    assert again == {"created": 0, "updated": 0, "unchanged": summary["created"], "errors": 0}


def test_load_regions_with_a_missing_source_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        run("load-regions", "--source", str(tmp_path))
    assert not Region.objects.exists()


@pytest.fixture
def haizhu(regions):
    return SchoolFactory(name="海珠一小", region=region("440105"))


def test_import_teachers_command(haizhu, tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes([row("A001"), row("A002", school="新学校")]))
    summary, _, _ = run("import-teachers", str(path), "--create-schools")
    assert summary == {"created": 2, "updated": 0, "unchanged": 0, "errors": 0, "schools_created": 1}
    again, _, _ = run("import-teachers", str(path))
    assert again == {"created": 0, "updated": 0, "unchanged": 2, "errors": 0, "schools_created": 0}


def test_import_teachers_dry_run_writes_nothing(haizhu, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([row("A001")]))
    summary, _, _ = run("import-teachers", str(path), "--dry-run")
    assert summary["created"] == 1 and summary["dry_run"] is True
    assert not Teacher.objects.exists()


def test_import_teachers_reports_bad_rows_on_stderr_and_exits_non_zero(haizhu, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([row("A001"), row("A002", id_number="110105194912310021")]))
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("import-teachers", str(path), stdout=out, stderr=err)
    assert "第 3 行（A002）：身份证号校验位不正确。" in err.getvalue()
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert last["created"] == 1 and last["errors"] == 1
    assert Teacher.objects.filter(teacher_no="A001").exists()  # valid rows are written


def test_import_teachers_unreadable_file(tmp_path: Path) -> None:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import-teachers", str(tmp_path / "missing.xlsx"), stdout=out, stderr=StringIO())
    assert "无法读取文件" in str(caught.value)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["error"] == "file_unreadable"


def test_import_teachers_bad_headers(haizhu, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("工号,名字\n1,2\n".encode())
    with pytest.raises(CommandError) as caught:
        call_command("import-teachers", str(path), stdout=StringIO(), stderr=StringIO())
    assert "表头缺少" in str(caught.value)


def test_command_failure_from_the_shell_is_one_line_on_stderr_and_exit_1(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "YANXIU_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "yanxiu", "import-teachers", str(tmp_path / "missing.xlsx")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.count("无法读取文件") == 1
    assert json.loads(result.stdout.strip().splitlines()[-1])["error"] == "file_unreadable"


def test_prune_expires_unconfirmed_uploads_and_old_failures(regions, tmp_path: Path) -> None:
    import os
    from datetime import timedelta

    from django.utils import timezone

    from yanxiu.accounts.models import LoginFailure
    from yanxiu.org import actions
    from yanxiu.org.models import RosterImport
    from yanxiu.org.tests.factories import district_admin

    SchoolFactory(name="海珠一小", region=region("440105"))
    admin = district_admin("440105")
    job = actions.roster_import_start(
        acting_user=admin,
        filename="r.csv",
        data=csv_bytes([row("A001"), row("A002", mobile="1")]),
        create_schools=False,
    )
    assert job.status == "preview"
    files = list(actions._roster_dir().iterdir())
    assert len(files) == 2  # the upload and its error report
    fresh, _, _ = run("prune")
    assert fresh == {"login_failures_removed": 0, "imports_expired": 0, "files_removed": 0, "errors": 0}
    old = timezone.now() - timedelta(hours=25)
    RosterImport.objects.filter(pk=job.pk).update(updated_at=old)
    for path in actions._roster_dir().iterdir():
        os.utime(path, (old.timestamp(), old.timestamp()))
    LoginFailure.objects.create(username="x", at=timezone.now() - timedelta(hours=2))
    LoginFailure.objects.create(username="y")
    summary, _, _ = run("prune")
    assert summary["imports_expired"] == 1 and summary["files_removed"] == 1 and summary["login_failures_removed"] == 1
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert not any(actions._roster_dir().iterdir())
    assert list(LoginFailure.objects.values_list("username", flat=True)) == ["y"]


def test_prune_keeps_the_file_of_an_import_being_applied(regions) -> None:
    import os
    from datetime import timedelta

    from django.utils import timezone

    from yanxiu.org import actions
    from yanxiu.org.models import RosterImport
    from yanxiu.org.tests.factories import district_admin

    SchoolFactory(name="海珠一小", region=region("440105"))
    job = actions.roster_import_start(
        acting_user=district_admin("440105"), filename="r.csv", data=csv_bytes([row("A001")]), create_schools=False
    )
    RosterImport.objects.filter(pk=job.pk).update(status="applying")
    old = (timezone.now() - timedelta(days=3)).timestamp()
    os.utime(job.stored_path, (old, old))
    summary, _, _ = run("prune")
    assert summary["files_removed"] == 0
    assert Path(job.stored_path).exists()
