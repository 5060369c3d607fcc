"""The learning-event store: recording, append-only, monthly partitions, login statements, xAPI
export (function, command, API). Runs on SQLite and PostgreSQL; where they differ, each test
asserts what the running database does."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from yanxiu.conftest import PASSWORD
from yanxiu.learning import statements
from yanxiu.learning.models import Statement
from yanxiu.learning.statements import StatementRow, record, record_many, statement_to_xapi
from yanxiu.org.models import Role
from yanxiu.org.tests.factories import TeacherFactory, UserFactory, district_admin, user_with_role

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"
HOME = "https://yanxiu.invalid"
API = "/api/v1/learning/statements"


def run(*args: str, fails: bool = False) -> tuple[dict[str, Any], str]:
    """Run an operator command; its summary (last stdout line) and stderr."""
    out, err = StringIO(), StringIO()
    if fails:
        with pytest.raises(CommandError):
            call_command(*args, stdout=out, stderr=err)
    else:
        call_command(*args, stdout=out, stderr=err)
    return json.loads(out.getvalue().strip().splitlines()[-1]), err.getvalue()


def at(days: int = 0, hour: int = 9) -> dt.datetime:
    """A moment `days` from today at `hour` o'clock, platform time."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def make(actor_id: int = 1, verb: str = statements.PLAYED, stored: dt.datetime | None = None, **kw: Any) -> Statement:
    stored = stored or timezone.now()
    return Statement.objects.create(
        actor_id=actor_id,
        verb=verb,
        object_type=kw.pop("object_type", "activity"),
        object_id=kw.pop("object_id", 5),
        timestamp=kw.pop("timestamp", stored),
        stored=stored,
        **kw,
    )


# --- Recording ------------------------------------------------------------------------------------


def test_record_stores_one_statement_stored_now(django_assert_num_queries: Any) -> None:
    before = timezone.now()
    with django_assert_num_queries(1):
        record(actor_id=7, verb=statements.COMPLETED, object_type="activity", object_id=42, result={"completion": True})
    row = Statement.objects.get()
    assert (row.actor_id, row.verb, row.object_type, row.object_id) == (7, "completed", "activity", 42)
    assert row.result == {"completion": True} and row.context is None
    assert before <= row.stored <= timezone.now()
    assert row.timestamp == row.stored  # no client time given


def test_record_many_small_batch_is_one_insert(django_assert_num_queries: Any) -> None:
    client_time = timezone.now() - dt.timedelta(minutes=3)  # queued while offline
    rows = [
        StatementRow(3, statements.PLAYED, "activity", 9, result={"time": 0.0}, timestamp=client_time),
        StatementRow(3, statements.PAUSED, "activity", 9, result={"time": 31.5}),
        StatementRow(3, statements.SEEKED, "activity", 9, result={"time_from": 31.5, "time_to": 90.0}),
    ]
    with django_assert_num_queries(1):
        record_many(rows)
    saved = list(Statement.objects.order_by("id"))
    assert [s.verb for s in saved] == ["played", "paused", "seeked"]
    assert [s.uuid for s in saved] == [r.uuid for r in rows]
    assert saved[0].timestamp == client_time and saved[0].stored > client_time
    assert len({s.stored for s in saved}) == 1
    with django_assert_num_queries(0):
        record_many([])


def test_record_many_large_batch_goes_by_copy_and_keeps_every_value() -> None:
    rows = [
        StatementRow(
            i, statements.VIEWED, "activity", 1000 + i, result=None if i % 2 else {"n": i}, context={"k": "值"}
        )
        for i in range(statements.COPY_THRESHOLD + 5)
    ]
    record_many(rows)
    saved = {s.uuid: s for s in Statement.objects.all()}
    assert len(saved) == len(rows)
    for row in rows:
        s = saved[row.uuid]
        assert (s.actor_id, s.verb, s.object_id, s.result, s.context) == (
            row.actor_id,
            "viewed",
            row.object_id,
            row.result,
            {"k": "值"},
        )
        assert s.timestamp == s.stored
    # Ids still come from the sequence, so the next ORM insert does not collide.
    record(actor_id=1, verb=statements.VIEWED, object_type="activity", object_id=1)
    assert Statement.objects.count() == len(rows) + 1


# --- Append-only, partitions ----------------------------------------------------------------------


def test_update_is_refused_by_the_database() -> None:
    statement = make()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(verb="paused")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        statement.verb = "paused"
        statement.save()
    assert Statement.objects.get().verb == "played"


def test_delete_is_refused_on_postgresql_and_allowed_on_sqlite() -> None:
    statement = make()
    if POSTGRES:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Statement.objects.filter(pk=statement.pk).delete()
        assert Statement.objects.count() == 1
    else:
        # SQLite keeps DELETE for Django's flush between transactional tests (migration 0002).
        assert connection.vendor == "sqlite"
        Statement.objects.filter(pk=statement.pk).delete()
        assert Statement.objects.count() == 0


def test_table_shape_on_the_running_database() -> None:
    with connection.cursor() as cursor:
        if POSTGRES:
            cursor.execute(
                "SELECT p.partstrat, a.attname FROM pg_partitioned_table p "
                "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
                "WHERE p.partrelid = 'learning_statement'::regclass"
            )
            assert cursor.fetchall() == [("r", "stored")]
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'learning_statement'::regclass AND i.indisprimary "
                "ORDER BY a.attname"
            )
            assert [name for (name,) in cursor.fetchall()] == ["id", "stored"]
            # Every column has the type and nullability Django gives it.
            cursor.execute(
                "SELECT attname, format_type(atttypid, atttypmod), NOT attnotnull FROM pg_attribute "
                "WHERE attrelid = 'learning_statement'::regclass AND attnum > 0 AND NOT attisdropped"
            )
            columns = {name: (column_type, null) for name, column_type, null in cursor.fetchall()}
            pg_names = {"varchar(32)": "character varying(32)"}
            assert columns == {
                f.column: (pg_names.get(f.db_type(connection) or "", f.db_type(connection)), f.null)
                for f in Statement._meta.concrete_fields
            }
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'learning_statement'")
            assert cursor.fetchall() == [("learning_statement_no_update",)]
        indexes = connection.introspection.get_constraints(cursor, "learning_statement")
    assert indexes["statement_actor_stored_idx"]["columns"] == ["actor_id", "stored"]


def test_partition_command_creates_missing_months_once() -> None:
    first, _ = run("statement-partitions", "--months", "14")
    again, _ = run("statement-partitions", "--months", "14")
    if not POSTGRES:
        empty = {"created": [], "existing": 0, "blocked": [], "default_rows": 0, "default_months": {}, "errors": 0}
        assert first == again == {"vendor": "sqlite", **empty}
        assert statements.statement_partitions() == []
        return
    # The migration made this month and the next 12; --months 14 adds the two after.
    tz = timezone.get_current_timezone()
    start = statements._month_start(timezone.now(), tz)  # type: ignore[arg-type]
    months = [start]
    for _ in range(14):
        months.append(statements._next_month(months[-1]))
    names = [statements.partition_name(m) for m in months]
    assert first["created"] == names[13:] and first["existing"] == 13 and first["errors"] == 0
    assert again["created"] == [] and again["existing"] == 15
    assert set(names) | {"learning_statement_default"} <= set(statements.statement_partitions())
    # A statement lands in its month's partition, not in DEFAULT.
    make(stored=at(0))
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM learning_statement")
        assert cursor.fetchall() == [(names[0],)]


def test_rows_in_default_block_their_month_and_are_reported() -> None:
    if not POSTGRES:
        assert statements.statement_partitions_ensure()["blocked"] == []
        return
    tz = timezone.get_current_timezone()
    month = statements._month_start(timezone.now(), tz)  # type: ignore[arg-type]
    for _ in range(12):
        month = statements._next_month(month)
    name = statements.partition_name(month)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {name}")
    make(stored=month + dt.timedelta(days=3))  # no partition for that month: DEFAULT takes it
    summary, err = run("statement-partitions", fails=True)
    assert summary["blocked"] == [name] and summary["created"] == [] and summary["errors"] == 1
    assert summary["default_rows"] == 1 and summary["default_months"] == {f"{month:%Y-%m}": 1}
    assert "默认分区中有 1 行" in err


def test_an_old_month_can_be_archived_by_detaching_its_partition() -> None:
    if not POSTGRES:
        assert statements.statement_partitions() == []
        return
    tz = timezone.get_current_timezone()
    next_month = statements._next_month(statements._month_start(timezone.now(), tz))  # type: ignore[arg-type]
    name = statements.partition_name(next_month)
    make(stored=next_month + dt.timedelta(days=1))
    kept = make(stored=at(0))
    # Row triggers do not fire for DETACH or DROP: the operator's archival path stays open.
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE learning_statement DETACH PARTITION {name}")
        cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 - a partition name made above
        assert cursor.fetchone()[0] == 1
        cursor.execute(f"DROP TABLE {name}")
    assert list(Statement.objects.values_list("pk", flat=True)) == [kept.pk]
    assert name not in statements.statement_partitions()


# --- Login statements -------------------------------------------------------------------------------


def test_signing_in_records_a_logged_in_statement(regions: Any) -> None:
    teacher = TeacherFactory(teacher_no="GZ700001")
    phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
    response = Client().post(
        "/accounts/login/", {"username": "GZ700001", "password": PASSWORD}, headers={"user-agent": phone}
    )
    assert response.status_code == 302
    statement = Statement.objects.get()
    assert (statement.actor_id, statement.verb, statement.object_type, statement.object_id) == (
        teacher.user_id,
        "logged-in",
        "platform",
        0,
    )
    # No IP, no user agent string: only the kind of device.
    assert statement.context == {"platform": "web", "device": "mobile"}
    assert statement.result is None


def test_a_failed_sign_in_records_nothing(regions: Any) -> None:
    TeacherFactory(teacher_no="GZ700002")
    Client().post("/accounts/login/", {"username": "GZ700002", "password": "wrong-password"})
    assert not Statement.objects.exists()


# --- xAPI ----------------------------------------------------------------------------------------------


def test_statement_to_xapi_is_an_xapi_1_0_3_statement(settings: Any) -> None:
    settings.XAPI_HOMEPAGE = "https://yanxiu.example.edu.cn/"
    stored = at(0, hour=10)
    statement = make(
        actor_id=12345,
        verb=statements.PAUSED,
        object_id=77,
        uuid=uuid.UUID("6f1a7c3e-0000-4000-8000-000000000001"),
        result={"position": 31.5, "progress": 0.25, "completion": False},
        context={"course": 8, "playback": "p-1", "seq": 4, "registration": "6f1a7c3e-0000-4000-8000-000000000002"},
        timestamp=stored - dt.timedelta(seconds=30),
        stored=stored,
    )
    home = "https://yanxiu.example.edu.cn"
    assert statement_to_xapi(statement) == {
        "id": "6f1a7c3e-0000-4000-8000-000000000001",
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": "12345"}},
        "verb": {"id": "https://w3id.org/xapi/video/verbs/paused", "display": {"zh-CN": "暂停", "en-US": "paused"}},
        "object": {"objectType": "Activity", "id": f"{home}/activities/activity/77"},
        "result": {
            "completion": False,
            "extensions": {
                "https://w3id.org/xapi/video/extensions/time": 31.5,
                "https://w3id.org/xapi/video/extensions/progress": 0.25,
            },
        },
        "context": {
            "registration": "6f1a7c3e-0000-4000-8000-000000000002",
            "contextActivities": {"parent": [{"objectType": "Activity", "id": f"{home}/activities/course/8"}]},
            "extensions": {"https://w3id.org/xapi/video/extensions/session-id": "p-1", f"{home}/extensions/seq": 4},
        },
        "timestamp": f"{stored - dt.timedelta(seconds=30):%Y-%m-%d}T01:59:30Z",  # 10:00 in Shanghai is 02:00 UTC
        "stored": f"{stored:%Y-%m-%d}T02:00:00Z",
        "version": "1.0.3",
    }


def test_every_verb_has_a_standard_iri() -> None:
    assert set(statements.VERB_IRIS) == set(statements.VERBS) == set(statements.VERB_DISPLAY)
    assert statements.VERB_IRIS[statements.COMPLETED] == "http://adlnet.gov/expapi/verbs/completed"
    assert statements.verb_from_param("http://adlnet.gov/expapi/verbs/passed") == "passed"
    assert statements.verb_from_param("passed") == "passed"
    assert statements.verb_from_param("danced") is None


def test_login_statement_in_xapi_has_no_personal_data(regions: Any) -> None:
    teacher = TeacherFactory(teacher_no="GZ700003")
    teacher.user.mobile = "13800000003"
    teacher.user.save()
    Client().post("/accounts/login/", {"username": "GZ700003", "password": PASSWORD})
    text = json.dumps(statement_to_xapi(Statement.objects.get()), ensure_ascii=False)
    assert teacher.user.real_name not in text and "13800000003" not in text and "GZ700003" not in text
    assert f'"name": "{teacher.user_id}"' in text


def test_api_token_login_is_a_login_statement_too(regions: Any) -> None:
    teacher = TeacherFactory(teacher_no="GZ700004")
    response = Client().post(
        "/api/v1/auth/token", {"username": "GZ700004", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    statement = Statement.objects.get()
    assert (statement.actor_id, statement.verb) == (teacher.user_id, statements.LOGGED_IN)
    teacher.user.refresh_from_db()
    assert teacher.user.last_login is not None


# --- Export command ---------------------------------------------------------------------------------


def test_export_command_writes_json_lines_by_stored_day_and_filters(tmp_path: Path) -> None:
    yesterday = make(actor_id=1, stored=at(-1))
    today = [
        make(actor_id=1, verb=statements.PLAYED, stored=at(0, 8)),
        make(actor_id=2, verb=statements.COMPLETED, stored=at(0, 9)),
        make(actor_id=1, verb=statements.COMPLETED, stored=at(0, 23)),
    ]
    make(actor_id=1, stored=at(1, 0))  # tomorrow 00:00: after --until today
    output = tmp_path / "out.jsonl"
    day = f"{timezone.localdate():%Y-%m-%d}"

    summary, _ = run("export-statements", "--since", day, "--until", day, "--output", str(output))
    assert summary == {"exported": 3, "output": str(output), "errors": 0}
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert lines == [statement_to_xapi(s) for s in today]

    summary, _ = run(
        "export-statements", "--since", day, "--actor", "1", "--verb", "completed", "--output", str(output)
    )
    assert summary["exported"] == 1
    assert json.loads(output.read_text(encoding="utf-8"))["id"] == str(today[2].uuid)

    since_yesterday = f"{timezone.localdate() - dt.timedelta(days=1):%Y-%m-%d}"
    summary, _ = run(
        "export-statements", "--since", since_yesterday, "--until", since_yesterday, "--output", str(output)
    )
    assert summary["exported"] == 1
    assert json.loads(output.read_text(encoding="utf-8"))["id"] == str(yesterday.uuid)
    assert not (tmp_path / "out.jsonl.partial").exists()


def test_export_command_refuses_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    summary, _ = run("export-statements", "--since", "2026/11/01", "--output", str(output), fails=True)
    assert summary["error"] == "bad_date"
    summary, _ = run(
        "export-statements", "--since", "2026-11-01", "--verb", "danced", "--output", str(output), fails=True
    )
    assert summary["error"] == "unknown_verb"
    assert not output.exists()


# --- API -----------------------------------------------------------------------------------------------


@pytest.fixture
def system_admin(regions: Any) -> Any:
    return user_with_role(Role.SYSTEM_ADMIN)


def test_api_only_system_admins_read_statements(regions: Any, system_admin: Any, client_for: Any) -> None:
    make(actor_id=1)
    learner = user_with_role(Role.LEARNER)
    assert Client().get(API).status_code == 401
    for user in (learner, district_admin("440105"), UserFactory()):
        response = client_for(user).get(API)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    response = client_for(system_admin).get(API)
    assert response.status_code == 200
    assert response["X-Experience-API-Version"] == "1.0.3"
    # Signing in the clients above recorded their logins too; the admin sees every statement.
    assert len(response.json()["statements"]) == Statement.objects.count()


def test_api_filters_and_pages_by_keyset(system_admin: Any, client_for: Any) -> None:
    client = client_for(system_admin)
    rows = [make(actor_id=5, verb=statements.PLAYED, stored=at(0, h)) for h in (8, 9, 10)]
    make(actor_id=6, verb=statements.PLAYED, stored=at(0, 11))
    make(actor_id=5, verb=statements.PASSED, stored=at(0, 12))

    body = client.get(API, {"actor": 5, "verb": "played", "limit": 2}).json()
    assert [s["id"] for s in body["statements"]] == [str(r.uuid) for r in rows[:2]]
    assert body["more"] == f"{API}?actor=5&verb=played&limit=2&after={rows[1].pk}"
    body = client.get(body["more"]).json()
    assert [s["id"] for s in body["statements"]] == [str(rows[2].uuid)] and body["more"] is None

    since, until = at(0, 9).isoformat(), at(0, 11).isoformat()
    body = client.get(API, {"since": since, "until": until, "actor": 5}).json()
    assert [s["id"] for s in body["statements"]] == [str(r.uuid) for r in rows[1:]]

    body = client.get(API, {"verb": "http://adlnet.gov/expapi/verbs/passed"}).json()
    assert [s["verb"]["id"] for s in body["statements"]] == ["http://adlnet.gov/expapi/verbs/passed"]

    response = client.get(API, {"verb": "danced"})
    assert response.status_code == 400 and response.json()["code"] == "unknown_verb"
    assert client.get(API, {"limit": 501}).status_code == 422
