"""Writing audit events. Actions call `audit_record` inside their own transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from yanxiu.core.models import AuditEvent
from yanxiu.core.request_context import client_ip, user_agent


def audit_record(
    *,
    action: str,
    actor: Any = None,
    request: HttpRequest | None = None,
    target: Any = None,
    target_type: str = "",
    target_id: str | int = "",
    detail: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event. `actor` is a User or None (anonymous or the system)."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
    label = actor_label or (getattr(actor, "username", "") if actor is not None else "")
    return AuditEvent.objects.create(
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=label[:150],
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        ip=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        detail=detail or {},
    )


def audit_record_many(events: Iterable[AuditEvent]) -> None:
    """Bulk insert for imports that write thousands of rows in one transaction."""
    AuditEvent.objects.bulk_create(list(events), batch_size=2000)
