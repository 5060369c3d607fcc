"""bulk_insert: plain tuples in, defaults and fixed values filled, readable through the ORM."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from yanxiu.accounts.models import User
from yanxiu.core.bulk import bulk_insert
from yanxiu.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_rows_get_defaults_and_fixed_values() -> None:
    before = timezone.now()
    bulk_insert(
        User,
        ("username", "real_name", "mobile", "password"),
        [("u1", "甲", "13800000001", "!x"), ("u2", "乙", None, "!y")],
        fixed={"must_change_password": True},
    )
    users = list(User.objects.order_by("username"))
    assert [(u.username, u.real_name, u.mobile) for u in users] == [("u1", "甲", "13800000001"), ("u2", "乙", None)]
    assert all(u.must_change_password and u.is_active and not u.is_staff for u in users)
    assert all(u.date_joined >= before for u in users)


def test_json_and_datetimes_round_trip() -> None:
    bulk_insert(
        AuditEvent,
        ("target_id",),
        [("1",), ("2",)],
        fixed={"action": "x.y", "actor_label": "system", "detail": {"import": "导入", "n": 1}},
    )
    events = list(AuditEvent.objects.order_by("target_id"))
    assert [e.detail for e in events] == [{"import": "导入", "n": 1}] * 2
    assert all(e.at is not None and timezone.is_aware(e.at) for e in events)


def test_unique_violation_is_an_integrity_error() -> None:
    User.objects.create_user("dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(User, ("username", "password"), [("dup", "!x")])


def test_unknown_column_is_refused() -> None:
    with pytest.raises(ValueError, match="no column"):
        bulk_insert(User, ("nickname",), [("x",)])
