"""Audit log, masking, spreadsheet reading, error pages, health check."""

import io
from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from yanxiu.core.audit import audit_record
from yanxiu.core.errors import ValidationFailed
from yanxiu.core.masking import mask_id_number, mask_mobile
from yanxiu.core.models import AuditEvent
from yanxiu.core.spreadsheets import read_rows, write_xlsx


@pytest.mark.django_db
def test_audit_events_cannot_be_changed_or_deleted_through_the_model() -> None:
    event = audit_record(action="test.done", actor_label="system", detail={"n": 1})
    event.action = "test.rewritten"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    assert AuditEvent.objects.get().action == "test.done"


@pytest.mark.django_db
def test_the_database_refuses_to_rewrite_the_audit_log() -> None:
    audit_record(action="test.done", actor_label="system")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(action="forged")
    assert AuditEvent.objects.get().action == "test.done"
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.all().delete()
        assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("value", "masked"),
    [("13812345678", "138****5678"), ("", ""), (None, ""), ("123", "***")],
)
def test_mask_mobile(value, masked) -> None:
    assert mask_mobile(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("44010519900101123X", "4401**********123X"), ("", ""), (None, ""), ("1234", "****")],
)
def test_mask_id_number(value, masked) -> None:
    assert mask_id_number(value) == masked


def test_read_rows_strips_and_normalises_numbers() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["教师编号", "手机号"])
    workbook.active.append([1001.0, 13800000000])
    out = io.BytesIO()
    workbook.save(out)
    assert list(read_rows(out.getvalue(), "x.xlsx")) == [["教师编号", "手机号"], ["1001", "13800000000"]]
    assert list(read_rows(b" a , b \n", "x.csv")) == [["a", "b"]]


def test_xlsx_named_file_that_is_not_xlsx_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        list(read_rows(b"just,text\n", "roster.xlsx"))
    assert caught.value.code == "bad_file"


def test_write_xlsx_streams_many_rows() -> None:
    out = io.BytesIO()
    write_xlsx(out, ["a"], ([i] for i in range(10_000)), title="很长的工作表名称" * 5)
    rows = list(read_rows(out.getvalue(), "x.xlsx"))
    assert len(rows) == 10_001


@pytest.mark.django_db
def test_404_page_is_chinese() -> None:
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert "找不到您要的页面" in response.content.decode()


@pytest.mark.django_db
def test_500_page_is_chinese_and_needs_no_database() -> None:
    from yanxiu.core.views import server_error

    response = server_error(None)  # type: ignore[arg-type]
    assert response.status_code == 500
    assert "系统出现了问题" in response.content.decode()


@pytest.mark.django_db
def test_healthz_reports_a_broken_database() -> None:
    with mock.patch("yanxiu.core.views.connection") as broken:
        broken.cursor.side_effect = DatabaseError("down")
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
