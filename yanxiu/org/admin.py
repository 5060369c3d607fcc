from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yanxiu.core.admin import ReadOnlyAdmin
from yanxiu.org import actions
from yanxiu.org.models import Region, RoleAssignment, RosterImport, School, Stage, Subject, Teacher


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "level", "parent"]
    search_fields = ["code", "name"]
    list_filter = ["level"]


@admin.register(Stage, Subject)
class ReferenceAdmin(ReadOnlyAdmin):
    list_display = ["code", "name"]


@admin.register(School)
class SchoolAdmin(ReadOnlyAdmin):
    list_display = ["name", "region", "ownership", "is_active"]
    search_fields = ["name", "code"]
    list_select_related = ["region"]


@admin.register(Teacher)
class TeacherAdmin(ReadOnlyAdmin):
    list_display = ["teacher_no", "school", "subject", "status"]
    search_fields = ["teacher_no"]
    list_select_related = ["school", "subject"]
    exclude = ["id_number"]
    show_full_result_count = False


@admin.register(RosterImport)
class RosterImportAdmin(ReadOnlyAdmin):
    list_display = ["filename", "created_by", "status", "created_at"]
    exclude = ["errors", "stored_path"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Roles are granted and revoked here, through the actions (validated and audited)."""

    list_display = ["user", "role", "region", "school", "sees_personal_data"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__real_name"]
    autocomplete_fields = ["user"]
    raw_id_fields = ["school"]
    list_select_related = ["user", "region", "school"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: RoleAssignment, form: Any, change: bool) -> None:
        saved = actions.role_assign(
            acting_user=request.user,  # type: ignore[arg-type]
            user=obj.user,
            role=obj.role,
            region=obj.region,
            school=obj.school,
            sees_personal_data=obj.sees_personal_data,
            request=request,
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: RoleAssignment) -> None:
        actions.role_revoke(acting_user=request.user, assignment=obj, request=request)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
