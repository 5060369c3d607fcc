"""Administration pages for school, district, city and province administrators.

Each view parses, checks scope through org.permissions, calls one action or selector, renders.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanxiu.core.errors import ApplicationError, NotFound, PermissionDenied
from yanxiu.core.http import AuthedRequest
from yanxiu.core.masking import mask_id_number, mask_mobile
from yanxiu.org import actions, permissions, selectors
from yanxiu.org.forms import RosterUploadForm, SchoolForm, TeacherCreateForm, TeacherForm
from yanxiu.org.models import EmploymentStatus, Subject

PAGE_SIZE = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Page[Any]:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- Teachers ----------------------------------------------------------------------------------
@login_required
@require_GET
def teacher_list(request: AuthedRequest) -> HttpResponse:
    permissions.require_admin(request.user)
    filters = selectors.TeacherFilter.from_params(request.GET)
    teachers = selectors.teacher_search(request.user, filters).select_related(
        "user", "school__region", "stage", "subject"
    )
    page = _page(request, teachers)
    context = {
        "page": page,
        "rows": selectors.teacher_rows_for_display(request.user, list(page.object_list)),
        "filters": filters,
        "query": request.GET.urlencode(),
        "export_query": _without_page(request),
        "regions": permissions.regions_visible_to(request.user),
        "subjects": Subject.objects.all(),
        "statuses": EmploymentStatus.choices,
    }
    template = (
        "org/_teacher_table.html"
        if request.htmx and request.htmx.target == "teacher-table"
        else "org/teacher_list.html"
    )
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def teacher_create(request: AuthedRequest) -> HttpResponse:
    permissions.require_admin(request.user)
    form = TeacherCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            teacher = actions.teacher_create(
                acting_user=request.user,
                teacher_no=data["teacher_no"],
                real_name=data["real_name"],
                school=data["school"],
                mobile=data["mobile"],
                id_number=data["id_number"],
                stage=data["stage"],
                subject=data["subject"],
                status=data["status"],
                request=request,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已添加教师 {teacher.user.real_name}（{teacher.teacher_no}）。")
            return redirect("org:teacher_detail", teacher_id=teacher.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "org/teacher_form.html", {"form": form, "creating": True}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def teacher_detail(request: AuthedRequest, teacher_id: int) -> HttpResponse:
    teacher = permissions.access_teacher(request.user, teacher_id)
    unmasked = permissions.can_see_personal_data(request.user, teacher)
    initial = {
        "real_name": teacher.user.real_name,
        "mobile": teacher.user.mobile if unmasked else "",
        "id_number": teacher.id_number if unmasked else "",
        "school": teacher.school,
        "stage": teacher.stage,
        "subject": teacher.subject,
        "status": teacher.status,
    }
    form = TeacherForm(request.POST or None, user=request.user, initial=initial)
    if not unmasked:
        # Without the right, the fields stay blank and empty input keeps the stored value.
        form.fields["mobile"].help_text = f"当前：{mask_mobile(teacher.user.mobile) or '未填'}；留空则不修改。"
        form.fields["id_number"].help_text = f"当前：{mask_id_number(teacher.id_number) or '未填'}；留空则不修改。"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        mobile = data["mobile"] if unmasked or data["mobile"] else teacher.user.mobile
        id_number = data["id_number"] if unmasked or data["id_number"] else teacher.id_number
        try:
            actions.teacher_update(
                acting_user=request.user,
                teacher=teacher,
                real_name=data["real_name"],
                school=data["school"],
                mobile=mobile,
                id_number=id_number,
                stage=data["stage"],
                subject=data["subject"],
                status=data["status"],
                request=request,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("org:teacher_detail", teacher_id=teacher.pk)
    status = 400 if request.method == "POST" else 200
    row = selectors.teacher_rows_for_display(request.user, [teacher])[0]
    return render(request, "org/teacher_form.html", {"form": form, "teacher": teacher, "row": row}, status=status)


@login_required
@require_POST
def teacher_issue_password(request: AuthedRequest, teacher_id: int) -> HttpResponse:
    teacher = permissions.access_teacher(request.user, teacher_id)
    password = actions.teacher_issue_password(acting_user=request.user, teacher=teacher, request=request)
    return render(request, "org/issued_password.html", {"teacher": teacher, "password": password})


@login_required
@require_GET
def teacher_export(request: AuthedRequest) -> FileResponse:
    filters = selectors.TeacherFilter.from_params(request.GET)
    handle = actions.teacher_roster_export(acting_user=request.user, filters=filters, request=request)
    filename = f"教师名册_{timezone.localtime():%Y%m%d_%H%M}.xlsx"
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=XLSX_TYPE,
    )


# --- Roster import -----------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def roster_upload(request: AuthedRequest) -> HttpResponse:
    permissions.require_admin(request.user)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = actions.roster_import_start(
                acting_user=request.user,
                filename=upload.name,
                # Never read more than the limit: an oversize upload is refused unread.
                data=upload.read(settings.ROSTER_MAX_UPLOAD_BYTES + 1),
                create_schools=form.cleaned_data["create_schools"],
                request=request,
            )
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("org:roster_import", job_id=job.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "org/roster_upload.html",
        {
            "form": form,
            "headers": "、".join(actions.roster.HEADERS),
            "can_create_schools": permissions.can_manage_schools(request.user),
        },
        status=status,
    )


@login_required
@require_GET
def roster_import(request: AuthedRequest, job_id: int) -> HttpResponse:
    job = permissions.access_roster_import(request.user, job_id)
    template = "org/_roster_status.html" if request.htmx else "org/roster_import.html"
    return render(request, template, {"job": job})


@login_required
@require_GET
def roster_import_errors(request: AuthedRequest, job_id: int) -> FileResponse:
    """Every bad row of an upload with its reason (the preview page shows the first ones)."""
    job = permissions.access_roster_import(request.user, job_id)
    path = actions.roster_error_report_path(job)
    if not path.exists():
        raise NotFound("这次上传没有问题行，或问题行报告已过期清理。")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"问题行_{job.filename.rsplit('.', 1)[0]}.xlsx",
        content_type=XLSX_TYPE,
    )


@login_required
@require_POST
def roster_import_confirm(request: AuthedRequest, job_id: int) -> HttpResponse:
    job = permissions.access_roster_import(request.user, job_id)
    job = actions.roster_import_confirm(acting_user=request.user, job=job, request=request)
    return redirect("org:roster_import", job_id=job.pk)


@login_required
@require_POST
def roster_import_cancel(request: AuthedRequest, job_id: int) -> HttpResponse:
    job = permissions.access_roster_import(request.user, job_id)
    actions.roster_import_cancel(acting_user=request.user, job=job, request=request)
    messages.info(request, "已取消，没有导入任何数据。")
    return redirect("org:teacher_list")


# --- Schools -----------------------------------------------------------------------------------
@login_required
@require_GET
def school_list(request: AuthedRequest) -> HttpResponse:
    permissions.require_admin(request.user)
    q = (request.GET.get("q") or "").strip()[:64]
    region = (request.GET.get("region") or "").strip()[:6]
    page = _page(request, selectors.school_search(request.user, q=q, region_code=region))
    return render(
        request,
        "org/school_list.html",
        {
            "page": page,
            "q": q,
            "region": region,
            "regions": permissions.regions_visible_to(request.user),
            "can_manage": permissions.can_manage_schools(request.user),
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def school_create(request: AuthedRequest) -> HttpResponse:
    if not permissions.can_manage_schools(request.user):
        raise PermissionDenied("只有区县及以上管理员可以新建学校。")
    form = SchoolForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.school_create(
                acting_user=request.user,
                name=data["name"],
                region=data["region"],
                ownership=data["ownership"],
                stages=data["stages"],
                request=request,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已新建学校：{data['name']}。")
            return redirect("org:school_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "org/school_form.html", {"form": form, "creating": True}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def school_edit(request: AuthedRequest, school_id: int) -> HttpResponse:
    school = permissions.access_school(request.user, school_id)
    if not permissions.can_manage_schools(request.user):
        raise PermissionDenied("只有区县及以上管理员可以修改学校。")
    initial = {
        "name": school.name,
        "region": school.region,
        "ownership": school.ownership,
        "stages": list(school.stages.all()),
        "is_active": school.is_active,
    }
    form = SchoolForm(request.POST or None, user=request.user, initial=initial)
    form.fields["region"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.school_update(
                acting_user=request.user,
                school=school,
                name=data["name"],
                ownership=data["ownership"],
                stages=data["stages"],
                is_active=data["is_active"],
                request=request,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("org:school_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "org/school_form.html", {"form": form, "school": school}, status=status)
