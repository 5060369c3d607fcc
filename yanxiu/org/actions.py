"""Every write about organisations and people. Callers have checked scope with org.permissions."""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from yanxiu.accounts.models import User
from yanxiu.core.audit import audit_record
from yanxiu.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from yanxiu.core.masking import redact_identifier
from yanxiu.core.spreadsheets import write_xlsx
from yanxiu.org import permissions, roster, selectors, validators
from yanxiu.org.models import (
    ROLE_REGION_LEVEL,
    EmploymentStatus,
    Ownership,
    Region,
    RegionLevel,
    Role,
    RoleAssignment,
    RosterImport,
    RosterImportStatus,
    School,
    Stage,
    Subject,
    Teacher,
)


# --- Schools -----------------------------------------------------------------------------------
def school_create(
    *,
    acting_user: User,
    name: str,
    region: Region,
    ownership: str = Ownership.PUBLIC,
    stages: Iterable[Stage] = (),
    code: str | None = None,
    request: HttpRequest | None = None,
) -> School:
    """Create a school in a district, or under a city as a 局属学校."""
    if not permissions.can_manage_schools(acting_user):
        raise PermissionDenied("只有区县及以上管理员可以新建学校。")
    permissions.access_region(acting_user, region.code)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写学校名称。", code="school_name_required")
    if len(name) > 100:
        raise ValidationFailed("学校名称不能超过 100 个字。", code="school_name_too_long")
    if ownership not in Ownership.values:
        raise ValidationFailed("办学性质只能是公办或民办。", code="bad_ownership")
    try:
        with transaction.atomic():
            school = School.objects.create(name=name, region=region, ownership=ownership, code=code or None)
            school.stages.set(list(stages))
            audit_record(
                action="school.created",
                actor=acting_user,
                request=request,
                target=school,
                detail={"name": name, "region": region.code},
            )
    except IntegrityError:
        raise ValidationFailed(f"{region.name}已有名为“{name}”的学校，或学校代码重复。", code="school_exists") from None
    return school


def school_update(
    *,
    acting_user: User,
    school: School,
    name: str,
    ownership: str,
    stages: Iterable[Stage],
    is_active: bool,
    request: HttpRequest | None = None,
) -> School:
    if not permissions.can_manage_schools(acting_user):
        raise PermissionDenied("只有区县及以上管理员可以修改学校。")
    permissions.access_school(acting_user, school.pk)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写学校名称。", code="school_name_required")
    if ownership not in Ownership.values:
        raise ValidationFailed("办学性质只能是公办或民办。", code="bad_ownership")
    before = {"name": school.name, "ownership": school.ownership, "is_active": school.is_active}
    try:
        with transaction.atomic():
            school.name, school.ownership, school.is_active = name, ownership, is_active
            school.save(update_fields=["name", "ownership", "is_active", "updated_at"])
            school.stages.set(list(stages))
            audit_record(
                action="school.updated",
                actor=acting_user,
                request=request,
                target=school,
                detail={"before": before, "after": {"name": name, "ownership": ownership, "is_active": is_active}},
            )
    except IntegrityError:
        raise ValidationFailed(f"该区域已有名为“{name}”的学校。", code="school_exists") from None
    return school


# --- Teachers ----------------------------------------------------------------------------------
def _clean_teacher_fields(*, real_name: str, mobile: str | None, id_number: str | None) -> dict[str, Any]:
    real_name = (real_name or "").strip()
    if not real_name:
        raise ValidationFailed("请填写姓名。", code="name_required")
    if len(real_name) > 64:
        raise ValidationFailed("姓名不能超过 64 个字。", code="name_too_long")
    mobile = (mobile or "").strip() or None
    if mobile and (error := validators.mobile_error(mobile)):
        raise ValidationFailed(error, code="bad_mobile")
    id_number = validators.normalise_id_number(id_number or "") or None
    if id_number and (error := validators.id_number_error(id_number)):
        raise ValidationFailed(error, code="bad_id_number")
    return {"real_name": real_name, "mobile": mobile, "id_number": id_number}


def teacher_create(
    *,
    acting_user: User,
    teacher_no: str,
    real_name: str,
    school: School,
    mobile: str | None = None,
    id_number: str | None = None,
    stage: Stage | None = None,
    subject: Subject | None = None,
    status: str = EmploymentStatus.ACTIVE,
    request: HttpRequest | None = None,
) -> Teacher:
    """Create a teacher and their account (no usable password until an admin issues one)."""
    permissions.access_school(acting_user, school.pk)
    teacher_no = (teacher_no or "").strip()
    if error := validators.teacher_no_error(teacher_no):
        raise ValidationFailed(error, code="bad_teacher_no")
    if status not in EmploymentStatus.values:
        raise ValidationFailed("在职状态无效。", code="bad_status")
    fields = _clean_teacher_fields(real_name=real_name, mobile=mobile, id_number=id_number)
    try:
        with transaction.atomic():
            user = User.objects.create_user(teacher_no, None, real_name=fields["real_name"], mobile=fields["mobile"])
            teacher = Teacher.objects.create(
                user=user,
                teacher_no=teacher_no,
                id_number=fields["id_number"],
                school=school,
                stage=stage,
                subject=subject,
                status=status,
            )
            audit_record(
                action="teacher.created",
                actor=acting_user,
                request=request,
                target=teacher,
                detail={"teacher_no": teacher_no, "school": school.pk},
            )
    except IntegrityError:
        raise ValidationFailed("教师编号、手机号或身份证号已被其他账号使用。", code="teacher_duplicate") from None
    return teacher


def teacher_update(
    *,
    acting_user: User,
    teacher: Teacher,
    real_name: str,
    school: School,
    mobile: str | None,
    stage: Stage | None,
    subject: Subject | None,
    status: str,
    id_number: str | None = None,
    request: HttpRequest | None = None,
) -> Teacher:
    """Change a teacher's record. Moving them to another school needs scope over both schools."""
    permissions.access_teacher(acting_user, teacher.pk)
    permissions.access_school(acting_user, school.pk)
    if status not in EmploymentStatus.values:
        raise ValidationFailed("在职状态无效。", code="bad_status")
    fields = _clean_teacher_fields(real_name=real_name, mobile=mobile, id_number=id_number)
    user = teacher.user
    before = _teacher_snapshot(teacher)
    try:
        with transaction.atomic():
            user.real_name, user.mobile = fields["real_name"], fields["mobile"]
            user.save(update_fields=["real_name", "mobile"])
            teacher.school, teacher.stage, teacher.subject, teacher.status = school, stage, subject, status
            teacher.id_number = fields["id_number"]
            teacher.save(update_fields=["school", "stage", "subject", "status", "id_number", "updated_at"])
            after = _teacher_snapshot(teacher)
            audit_record(
                action="teacher.updated",
                actor=acting_user,
                request=request,
                target=teacher,
                detail={"changed": {k: [before[k], after[k]] for k in after if before[k] != after[k]}},
            )
    except IntegrityError:
        raise ValidationFailed("手机号或身份证号已被其他账号使用。", code="teacher_duplicate") from None
    return teacher


def _teacher_snapshot(teacher: Teacher) -> dict[str, Any]:
    # Personal data is recorded only as "changed", never in clear, in the audit log.
    return {
        "real_name": teacher.user.real_name,
        "mobile": bool(teacher.user.mobile) and f"…{(teacher.user.mobile or '')[-4:]}",
        "id_number": bool(teacher.id_number) and f"…{(teacher.id_number or '')[-4:]}",
        "school": teacher.school_id,
        "stage": teacher.stage_id,
        "subject": teacher.subject_id,
        "status": teacher.status,
    }


def teacher_roster_export(
    *, acting_user: User, filters: selectors.TeacherFilter, request: HttpRequest | None = None
) -> IO[bytes]:
    """The roster as .xlsx in a temporary file (flat memory), masked unless the viewer holds the
    right; exporting personal data is recorded in the audit log."""
    permissions.require_admin(acting_user)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the caller's response closes it
    write_xlsx(handle, selectors.EXPORT_HEADERS, selectors.teacher_export_rows(acting_user, filters), title="教师名册")
    handle.seek(0)
    audit_record(
        action="roster.exported",
        actor=acting_user,
        request=request,
        detail={
            "filters": {
                k: redact_identifier(v) if isinstance(v, str) else v
                for k, v in dataclasses.asdict(filters).items()
                if v
            }
        },
    )
    return handle


def teacher_issue_password(*, acting_user: User, teacher: Teacher, request: HttpRequest | None = None) -> str:
    """Give the teacher a one-time initial password (shown once to the administrator)."""
    from yanxiu.accounts.actions import user_issue_initial_password

    permissions.access_teacher(acting_user, teacher.pk)
    return user_issue_initial_password(acting_user=acting_user, user=teacher.user, request=request)


# --- Roles -------------------------------------------------------------------------------------
def role_assign(
    *,
    acting_user: User | None,
    user: User,
    role: str,
    region: Region | None = None,
    school: School | None = None,
    sees_personal_data: bool = False,
    request: HttpRequest | None = None,
) -> RoleAssignment:
    """Give a user a role in a scope. Idempotent: assigning the same role and scope twice is one row.

    `acting_user=None` is the system itself (demo data, management commands run by an operator).
    """
    if role not in Role.values:
        raise ValidationFailed("角色无效。", code="bad_role")
    if region is not None and school is not None:
        raise ValidationFailed("角色的范围只能是一个区域或一所学校。", code="bad_scope")
    needed_level = ROLE_REGION_LEVEL.get(role)
    if needed_level and (region is None or region.level != needed_level):
        raise ValidationFailed(
            f"{Role(role).label}的范围必须是一个{RegionLevel(needed_level).label}级区域。", code="bad_scope"
        )
    if role == Role.SCHOOL_ADMIN and school is None:
        raise ValidationFailed("学校管理员的范围必须是一所学校。", code="bad_scope")
    if role == Role.SYSTEM_ADMIN and (region is not None or school is not None):
        raise ValidationFailed("系统管理员的范围是全平台。", code="bad_scope")
    if acting_user is not None:
        scope = permissions.admin_scope(acting_user)
        if not scope.everything:
            # Administrators hand out roles only inside their own scope, never to themselves, never
            # system admin, and never a right to personal data they do not hold there themselves.
            if role == Role.SYSTEM_ADMIN or (region is None and school is None) or user.pk == acting_user.pk:
                raise PermissionDenied()
            if sees_personal_data and not _holds_personal_right(scope, region=region, school=school):
                raise PermissionDenied("您自己没有查看该范围完整个人信息的权限，不能授予他人。")
            if region is not None:
                if not any(region.code.startswith(p) for p in scope.region_prefixes):
                    raise PermissionDenied()
            elif school is not None:
                permissions.access_school(acting_user, school.pk)
    with transaction.atomic():
        assignment, created = RoleAssignment.objects.get_or_create(
            user=user,
            role=role,
            region=region,
            school=school,
            defaults={"sees_personal_data": sees_personal_data},
        )
        if not created and assignment.sees_personal_data != sees_personal_data:
            assignment.sees_personal_data = sees_personal_data
            assignment.save(update_fields=["sees_personal_data", "updated_at"])
        if created or acting_user is not None:
            audit_record(
                action="role.assigned",
                actor=acting_user,
                request=request,
                target=assignment,
                detail={
                    "user": user.username,
                    "role": role,
                    "region": region and region.code,
                    "school": school and school.pk,
                    "sees_personal_data": sees_personal_data,
                },
                actor_label="" if acting_user else "system",
            )
    return assignment


def _holds_personal_right(scope: permissions.AdminScope, *, region: Region | None, school: School | None) -> bool:
    if scope.personal_everything:
        return True
    if school is not None:
        return school.pk in scope.personal_school_ids or any(
            school.region_id.startswith(p) for p in scope.personal_prefixes
        )
    return region is not None and any(region.code.startswith(p) for p in scope.personal_prefixes)


def role_revoke(*, acting_user: User, assignment: RoleAssignment, request: HttpRequest | None = None) -> None:
    scope = permissions.admin_scope(acting_user)
    if not scope.everything:
        raise PermissionDenied()
    with transaction.atomic():
        audit_record(
            action="role.revoked",
            actor=acting_user,
            request=request,
            target=assignment,
            detail={"user": assignment.user.username, "role": assignment.role},
        )
        assignment.delete()


# --- Roster import workflow --------------------------------------------------------------------
# upload → check (inline for small files, background task for large) → preview → confirm or cancel
# → apply (inline or background). The file is deleted once the import is finished or cancelled.
def _roster_dir() -> Path:
    folder = Path(settings.VAR_DIR) / "private" / "rosters"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def roster_error_report_path(job: RosterImport) -> Path:
    return _roster_dir() / f"errors-{job.pk}.xlsx"


def roster_import_start(
    *, acting_user: User, filename: str, data: bytes, create_schools: bool, request: HttpRequest | None = None
) -> RosterImport:
    """Store the upload and check it: at once when small, else in a background task."""
    permissions.require_admin(acting_user)
    if not data.strip():
        raise ValidationFailed("文件是空的。", code="empty_file")
    if len(data) > settings.ROSTER_MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            f"文件太大（上限 {settings.ROSTER_MAX_UPLOAD_BYTES // (1024 * 1024)} MB）。", code="file_too_large"
        )
    suffix = ".xlsx" if data.startswith(b"PK\x03\x04") else ".csv"
    path = _roster_dir() / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    # A rough row count decides inline or background; the check counts exactly.
    estimate = data.count(b"\n") if suffix == ".csv" else len(data) // 60
    with transaction.atomic():
        job = RosterImport.objects.create(
            created_by=acting_user,
            filename=Path(filename).name[:200],
            stored_path=str(path),
            create_schools=create_schools and permissions.can_manage_schools(acting_user),
            progress_total=max(estimate, 1),
        )
        audit_record(
            action="roster.uploaded",
            actor=acting_user,
            request=request,
            target=job,
            detail={"filename": job.filename, "bytes": len(data)},
        )
        if estimate > settings.ROSTER_BACKGROUND_ROWS:
            from yanxiu.org.tasks import roster_import_check_task

            transaction.on_commit(lambda: roster_import_check_task.enqueue(job.pk))
    if estimate <= settings.ROSTER_BACKGROUND_ROWS:
        roster_import_check(job_id=job.pk)
        job.refresh_from_db()
    return job


def _job_progress(job_id: int) -> Callable[[int], None]:
    def update(done: int) -> None:
        RosterImport.objects.filter(pk=job_id).update(progress_done=done)

    return update


def roster_import_check(*, job_id: int) -> None:
    """Validate the stored file and record the preview. Writes no teacher."""
    job = RosterImport.objects.select_related("created_by").get(pk=job_id)
    if job.status != RosterImportStatus.CHECKING:
        return  # a retried task: already checked
    try:
        plan = roster.roster_check(
            Path(job.stored_path).read_bytes(),
            job.filename,
            scope=permissions.admin_scope(job.created_by),
            create_schools=job.create_schools,
            progress=_job_progress(job.pk),
        )
    except ApplicationError as exc:
        _roster_finish(job, status=RosterImportStatus.FAILED, failure=exc.message)
        return
    if plan.errors:
        roster.error_report_write(plan, roster_error_report_path(job))
    region_names = dict(
        Region.objects.filter(code__in={code for code, _ in plan.new_schools}).values_list("code", "name")
    )
    RosterImport.objects.filter(pk=job.pk, status=RosterImportStatus.CHECKING).update(
        status=RosterImportStatus.PREVIEW,
        counts=plan.counts,
        errors=[
            {"line": e.line, "teacher_no": e.teacher_no, "message": e.message}
            for e in plan.errors[: roster.PREVIEW_ERRORS]
        ],
        new_schools=[
            {"region": code, "region_name": region_names.get(code, code), "name": name}
            for code, name in sorted(plan.new_schools)
        ],
        progress_done=plan.total,
        progress_total=max(plan.total, 1),
        updated_at=timezone.now(),
    )


def roster_import_confirm(*, acting_user: User, job: RosterImport, request: HttpRequest | None = None) -> RosterImport:
    """The administrator confirms: write the valid rows (at once when small, else in the background).

    Safe to double-click: only the first confirmation moves the import from preview to applying.
    """
    with transaction.atomic():
        locked = RosterImport.objects.select_for_update().get(pk=job.pk)
        if locked.created_by_id != acting_user.pk:
            raise PermissionDenied("只能确认自己上传的名册。")
        if locked.status != RosterImportStatus.PREVIEW:
            return locked  # already confirmed, cancelled or finished: nothing more to do
        if not locked.counts.get("valid"):
            raise ValidationFailed("没有可以导入的有效行。", code="nothing_to_import")
        locked.status = RosterImportStatus.APPLYING
        locked.progress_done = 0
        locked.progress_total = max(locked.counts.get("new", 0) + locked.counts.get("changed", 0), 1)
        locked.save(update_fields=["status", "progress_done", "progress_total", "updated_at"])
        audit_record(action="roster.confirmed", actor=acting_user, request=request, target=locked)
        background = locked.counts.get("rows", 0) > settings.ROSTER_BACKGROUND_ROWS
        if background:
            from yanxiu.org.tasks import roster_import_apply_task

            transaction.on_commit(lambda: roster_import_apply_task.enqueue(locked.pk))
    if not background:
        roster_import_apply(job_id=locked.pk)
        locked.refresh_from_db()
    return locked


def roster_import_apply(*, job_id: int) -> None:
    """Re-check the file (the database may have moved on since the preview) and write valid rows."""
    job = RosterImport.objects.select_related("created_by").get(pk=job_id)
    if job.status != RosterImportStatus.APPLYING:
        return  # a retried task: already applied
    try:
        data = Path(job.stored_path).read_bytes()
        scope = permissions.admin_scope(job.created_by)
        plan = roster.roster_check(data, job.filename, scope=scope, create_schools=job.create_schools)
        summary = roster.roster_apply(
            plan, actor=job.created_by, import_label=f"roster-import-{job.pk}", progress=_job_progress(job.pk)
        )
    except (ApplicationError, OSError) as exc:
        message = exc.message if isinstance(exc, ApplicationError) else "名册文件已不存在，请重新上传。"
        _roster_finish(job, status=RosterImportStatus.FAILED, failure=message)
        return
    _roster_finish(job, status=RosterImportStatus.DONE, summary=summary)


def roster_import_cancel(*, acting_user: User, job: RosterImport, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        locked = RosterImport.objects.select_for_update().get(pk=job.pk)
        if locked.created_by_id != acting_user.pk:
            raise PermissionDenied("只能取消自己上传的名册。")
        if locked.status not in (RosterImportStatus.PREVIEW, RosterImportStatus.CHECKING):
            raise ValidationFailed("该名册已在导入或已结束，不能取消。", code="not_cancellable")
        audit_record(action="roster.cancelled", actor=acting_user, request=request, target=locked)
    _roster_finish(locked, status=RosterImportStatus.CANCELLED)


def _roster_finish(job: RosterImport, *, status: str, failure: str = "", summary: dict | None = None) -> None:
    RosterImport.objects.filter(pk=job.pk).update(
        status=status,
        failure=failure,
        summary=summary or {},
        updated_at=timezone.now(),
        progress_done=F("progress_total") if status == RosterImportStatus.DONE else F("progress_done"),
    )
    # Personal data is not kept longer than needed.
    Path(job.stored_path).unlink(missing_ok=True)


def roster_imports_prune(*, older_than: timedelta) -> dict[str, int]:
    """Cancel uploads left unconfirmed and delete old roster files and error reports.

    Rosters carry personal data: nothing of an upload is kept longer than `older_than`.
    """
    cutoff = timezone.now() - older_than
    stale = RosterImport.objects.filter(
        status__in=[RosterImportStatus.PREVIEW, RosterImportStatus.CHECKING], updated_at__lt=cutoff
    )
    cancelled = 0
    for job in stale:
        audit_record(action="roster.expired", actor_label="system", target=job)
        _roster_finish(job, status=RosterImportStatus.CANCELLED)
        cancelled += 1
    # An import being applied right now still needs its file, however old the upload.
    in_use = set(RosterImport.objects.filter(status=RosterImportStatus.APPLYING).values_list("stored_path", flat=True))
    removed = 0
    for path in _roster_dir().iterdir():
        if path.is_file() and str(path) not in in_use and path.stat().st_mtime < cutoff.timestamp():
            path.unlink(missing_ok=True)
            removed += 1
    return {"imports_expired": cancelled, "files_removed": removed}
