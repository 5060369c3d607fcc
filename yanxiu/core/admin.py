"""Django's admin is the system administrator's escape hatch: read-mostly, every change audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from yanxiu.core.audit import audit_record
from yanxiu.core.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists and shows; changes go through the product's pages and actions."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit event for every save and delete made through the admin."""

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            action=f"admin.{'changed' if change else 'added'}",
            actor=request.user,
            request=request,
            target=obj,
            detail={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        audit_record(action="admin.deleted", actor=request.user, request=request, target=obj, detail={"repr": str(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "action", "target_type", "target_id", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_label", "action", "target_id", "ip"]
    date_hierarchy = "at"
    list_select_related = False
    show_full_result_count = False
