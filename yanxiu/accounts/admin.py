from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yanxiu.accounts.models import ApiToken, LoginFailure, User
from yanxiu.core.admin import AuditedAdmin, ReadOnlyAdmin


@admin.register(User)
class UserAdmin(AuditedAdmin):
    """Only switches: active, staff. Passwords are issued through the roster pages."""

    list_display = ["username", "real_name", "is_active", "is_staff", "last_login"]
    search_fields = ["username", "real_name"]
    list_filter = ["is_active", "is_staff"]
    fields = ["username", "real_name", "is_active", "is_staff", "must_change_password", "last_login", "date_joined"]
    readonly_fields = ["username", "real_name", "last_login", "date_joined"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "ip"]
    search_fields = ["username", "ip"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["user", "name", "created_at", "expires_at", "last_used_at", "revoked_at"]
    exclude = ["digest"]
