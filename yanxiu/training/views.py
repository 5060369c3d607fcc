"""Training pages: projects, periods, offerings, classes, enrolment and retakes for administrators;
the course menu (选课) for learners.

Each view parses, checks scope through training.permissions, calls one action or selector, renders.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanxiu.catalog.models import Course, CourseCategory
from yanxiu.core.errors import ApplicationError, NotFound, ValidationFailed
from yanxiu.core.http import AuthedRequest
from yanxiu.org import permissions as org_permissions
from yanxiu.org.models import Stage, Subject
from yanxiu.training import actions, permissions, selectors
from yanxiu.training.forms import (
    ADMIN_SOURCE_CHOICES,
    EnrolmentChangeForm,
    EnrolmentUploadForm,
    KlassForm,
    PassRuleForm,
    PeriodForm,
    ProjectForm,
    RetakeDatesForm,
    SplitForm,
)
from yanxiu.training.models import Enrolment, EnrolmentSource, EnrolmentStatus, FeeStatus, Klass, Offering, Period

PAGE_SIZE = 50
SAMPLE_SIZE = 20
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_SESSION_KEY = "training_enrolment_upload"


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Page[Any]:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _status(request: HttpRequest) -> int:
    return 400 if request.method == "POST" else 200


# --- Projects ----------------------------------------------------------------------------------
@login_required
@require_GET
def project_list(request: AuthedRequest) -> HttpResponse:
    permissions.require_project_admin(request.user)
    projects = (
        permissions.projects_visible_to(request.user)
        .select_related("organiser")
        .annotate(period_count=Count("periods"))
        .order_by("code")
    )
    return render(request, "training/project_list.html", {"projects": projects})


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: AuthedRequest) -> HttpResponse:
    permissions.require_project_admin(request.user)
    form = ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project = actions.project_create(
                acting_user=request.user,
                code=data["code"],
                name=data["name"],
                organiser=data["organiser"],
                scheme=form.scheme(),
                hours_cap_per_period=data["hours_cap_per_period"],
                request=request,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已新建培训项目：{project.name}。")
            return redirect("training:project_detail", project_id=project.pk)
    return render(request, "training/project_form.html", {"form": form, "creating": True}, status=_status(request))


@login_required
@require_http_methods(["GET", "POST"])
def project_detail(request: AuthedRequest, project_id: int) -> HttpResponse:
    project = permissions.access_project(request.user, project_id)
    form = ProjectForm(request.POST or None, user=request.user, initial=ProjectForm.initial_for(project))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.project_update(
                acting_user=request.user,
                project=project,
                code=data["code"],
                name=data["name"],
                organiser=data["organiser"],
                scheme=form.scheme(),
                hours_cap_per_period=data["hours_cap_per_period"],
                request=request,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("training:project_detail", project_id=project.pk)
    periods = project.periods.annotate(offering_count=Count("offerings")).order_by("-starts_on")
    return render(
        request,
        "training/project_form.html",
        {"form": form, "project": project, "periods": periods},
        status=_status(request),
    )


# --- Periods -----------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def period_create(request: AuthedRequest, project_id: int) -> HttpResponse:
    project = permissions.access_project(request.user, project_id)
    form = PeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            period = actions.period_create(acting_user=request.user, project=project, request=request, **data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已新建 {period.code} 期。")
            return redirect("training:period_detail", period_id=period.pk)
    context = {"form": form, "project": project, "creating": True}
    return render(request, "training/period_form.html", context, status=_status(request))


@login_required
@require_http_methods(["GET", "POST"])
def period_edit(request: AuthedRequest, period_id: int) -> HttpResponse:
    period = permissions.access_period(request.user, period_id)
    fields = ("code", "starts_on", "ends_on", "selection_opens_at", "selection_closes_at")
    initial = {f: getattr(period, f) for f in fields}
    for name in ("selection_opens_at", "selection_closes_at"):
        if initial[name]:
            initial[name] = timezone.localtime(initial[name])
    form = PeriodForm(request.POST or None, initial=initial, closed=period.closed_at is not None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.period_update(acting_user=request.user, period=period, request=request, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("training:period_detail", period_id=period.pk)
    context = {"form": form, "project": period.project, "period": period}
    return render(request, "training/period_form.html", context, status=_status(request))


@login_required
@require_GET
def period_detail(request: AuthedRequest, period_id: int) -> HttpResponse:
    period = permissions.access_period(request.user, period_id)
    offerings = selectors.period_offerings(period)
    return render(request, "training/period_detail.html", {"period": period, "offerings": offerings})


@login_required
@require_POST
def period_close(request: AuthedRequest, period_id: int) -> HttpResponse:
    period = permissions.access_period(request.user, period_id)
    try:
        changed = actions.period_close(acting_user=request.user, period=period, request=request)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{period.code} 期已结束：{changed} 条未通过的选课记为未通过。")
    return redirect("training:period_detail", period_id=period.pk)


# --- Offerings ---------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def offering_add(request: AuthedRequest, period_id: int) -> HttpResponse:
    period = permissions.access_period(request.user, period_id)
    if request.method == "POST":
        course_id = (request.POST.get("course") or "").strip()
        course = Course.objects.filter(pk=int(course_id)).first() if course_id.isdigit() else None
        if course is None:
            raise NotFound("找不到该课程。")
        actions.offering_add(acting_user=request.user, period=period, course=course, request=request)
        messages.success(request, f"已开设课程：{course.code} {course.title}。")
        return redirect(
            f"{reverse('training:offering_add', kwargs={'period_id': period.pk})}?{request.GET.urlencode()}"
        )
    q = (request.GET.get("q") or "").strip()[:64]
    category = (request.GET.get("category") or "").strip()
    page = _page(request, selectors.courses_to_offer(period, q=q, category=category))
    context = {"period": period, "page": page, "q": q, "category": category, "categories": CourseCategory.choices}
    return render(request, "training/offering_add.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def offering_detail(request: AuthedRequest, offering_id: int) -> HttpResponse:
    offering = permissions.access_offering(request.user, offering_id)
    rule = offering.pass_rule or {}
    initial = {
        "required_percent": f"{(Decimal(str(rule.get('required_ratio', '0.6'))) * 100).normalize():f}",
        "assignment_required": "yes" if rule.get("assignment_required", True) else "no",
    }
    form = PassRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.offering_pass_rule_set(
                acting_user=request.user,
                offering=offering,
                required_percent=form.cleaned_data["required_percent"],
                assignment_required=form.cleaned_data["assignment_required"],
                request=request,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存通过规则。")
            return redirect("training:offering_detail", offering_id=offering.pk)
    klasses = offering.classes.annotate(size=Count("enrolments")).prefetch_related("tutors").order_by("name")
    context = {
        "offering": offering,
        "period": offering.period,
        "form": form,
        "klasses": klasses,
        "split_form": SplitForm(),
        "enrolment_count": offering.enrolments.count(),
        "unplaced": offering.enrolments.filter(klass__isnull=True).count(),
    }
    return render(request, "training/offering_detail.html", context, status=_status(request))


@login_required
@require_POST
def offering_remove(request: AuthedRequest, offering_id: int) -> HttpResponse:
    offering = permissions.access_offering(request.user, offering_id)
    try:
        actions.offering_remove(acting_user=request.user, offering=offering, request=request)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("training:offering_detail", offering_id=offering.pk)
    messages.success(request, f"已撤下课程：{offering.course.title}。")
    return redirect("training:period_detail", period_id=offering.period_id)


# --- Classes -----------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def klass_create(request: AuthedRequest, offering_id: int) -> HttpResponse:
    offering = permissions.access_offering(request.user, offering_id)
    form = KlassForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.klass_create(
                acting_user=request.user,
                offering=offering,
                name=data["name"],
                capacity=data["capacity"],
                tutors=data["tutors"],
                request=request,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已新建班级：{data['name']}。")
            return redirect("training:offering_detail", offering_id=offering.pk)
    context = {"form": form, "offering": offering, "creating": True}
    return render(request, "training/klass_form.html", context, status=_status(request))


@login_required
@require_http_methods(["GET", "POST"])
def klass_edit(request: AuthedRequest, klass_id: int) -> HttpResponse:
    klass: Klass = permissions.access_klass(request.user, klass_id)
    initial = {"name": klass.name, "capacity": klass.capacity, "tutors": list(klass.tutors.all())}
    form = KlassForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.klass_update(
                acting_user=request.user,
                klass=klass,
                name=data["name"],
                capacity=data["capacity"],
                tutors=data["tutors"],
                request=request,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("training:offering_detail", offering_id=klass.offering_id)
    context = {"form": form, "offering": klass.offering, "klass": klass}
    return render(request, "training/klass_form.html", context, status=_status(request))


@login_required
@require_POST
def klasses_split(request: AuthedRequest, offering_id: int) -> HttpResponse:
    offering = permissions.access_offering(request.user, offering_id)
    form = SplitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "每班人数应为 1 到 10000 之间的整数。")
    else:
        result = actions.klasses_split(
            acting_user=request.user, offering=offering, capacity=form.cleaned_data["capacity"], request=request
        )
        messages.success(
            request, f"已分班：新建 {result['classes_created']} 个班级，安排 {result['enrolments_placed']} 名学员。"
        )
    return redirect("training:offering_detail", offering_id=offering.pk)


# --- Enrolment lists ---------------------------------------------------------------------------
def _filter_choices(request: AuthedRequest) -> dict[str, Any]:
    return {
        "regions": org_permissions.regions_visible_to(request.user),
        "schools": org_permissions.schools_visible_to(request.user).order_by("region_id", "name"),
        "stages": Stage.objects.all(),
        "subjects": Subject.objects.all(),
    }


@login_required
@require_GET
def enrolment_list(request: AuthedRequest, offering_id: int) -> HttpResponse:
    offering = permissions.access_offering(request.user, offering_id)
    filters = selectors.EnrolmentFilter.from_params(request.GET)
    enrolments = selectors.enrolment_search(request.user, offering, filters).select_related(
        "teacher__user", "teacher__school__region", "teacher__subject", "klass"
    )
    context = {
        "offering": offering,
        "period": offering.period,
        "page": _page(request, enrolments),
        "filters": filters,
        "export_query": _without_page(request),
        "statuses": EnrolmentStatus.choices,
        "sources": EnrolmentSource.choices,
        **_row_choices(offering, request.GET.urlencode()),
        **_filter_choices(request),
    }
    return render(request, "training/enrolment_list.html", context)


def _row_choices(offering: Offering, back: str) -> dict[str, Any]:
    """What each row's forms offer; `back` is the list's query string, kept across a POST."""
    return {
        "klasses": list(offering.classes.order_by("name")),
        "fee_statuses": FeeStatus.choices,
        "admin_sources": ADMIN_SOURCE_CHOICES,
        "back": back,
    }


def _back_to_list(request: AuthedRequest, offering_id: int) -> HttpResponse:
    # Re-encoded, after the list's own path: the query string cannot send anyone elsewhere.
    query = QueryDict(request.POST.get("back", "")).urlencode()
    url = reverse("training:enrolment_list", kwargs={"offering_id": offering_id})
    return redirect(f"{url}?{query}" if query else url)


def _enrolment_row(
    request: AuthedRequest,
    enrolment: Enrolment | None,
    offering: Offering,
    *,
    notice: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "e": enrolment,
        "offering": offering,
        "notice": notice,
        "error": error,
        **_row_choices(offering, request.POST.get("back", "")),
    }
    return render(request, "training/_enrolment_row.html", context, status=status)


@login_required
@require_POST
def enrolment_update(request: AuthedRequest, enrolment_id: int) -> HttpResponse:
    """One row of the enrolment list: fee status, class, source (指定 ⇄ 推荐)."""
    enrolment = permissions.access_enrolment(request.user, enrolment_id)
    offering = enrolment.offering
    form = EnrolmentChangeForm(request.POST, offering=offering)
    error = notice = ""
    if not form.is_valid():
        error = str(next(iter(form.errors.values()))[0])
    else:
        try:
            actions.enrolment_update(acting_user=request.user, enrolment=enrolment, request=request, **form.changes())
        except ValidationFailed as exc:
            error = exc.message
        else:
            notice = f"已保存 {enrolment.teacher.user.real_name} 的选课。"
    if request.htmx:
        fresh = permissions.access_enrolment(request.user, enrolment_id)
        return _enrolment_row(request, fresh, offering, notice=notice, error=error, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return _back_to_list(request, offering.pk)


@login_required
@require_POST
def enrolment_remove(request: AuthedRequest, enrolment_id: int) -> HttpResponse:
    """Remove a wrongly assigned enrolment nobody has started learning in."""
    enrolment = permissions.access_enrolment(request.user, enrolment_id)
    offering = enrolment.offering
    name = enrolment.teacher.user.real_name
    try:
        actions.enrolment_remove(acting_user=request.user, enrolment=enrolment, request=request)
    except ValidationFailed as exc:
        if request.htmx:
            return _enrolment_row(request, enrolment, offering, error=exc.message, status=exc.status)
        messages.error(request, exc.message)
        return _back_to_list(request, offering.pk)
    notice = f"已移除 {name} 的选课：{offering.course.title}。"
    if request.htmx:
        return _enrolment_row(request, None, offering, notice=notice)
    messages.success(request, notice)
    return _back_to_list(request, offering.pk)


@login_required
@require_GET
def enrolment_export(request: AuthedRequest, offering_id: int) -> FileResponse:
    offering = permissions.access_offering(request.user, offering_id)
    filters = selectors.EnrolmentFilter.from_params(request.GET)
    handle = actions.enrolments_export(acting_user=request.user, offering=offering, filters=filters, request=request)
    filename = f"选课名单_{offering.period.code}_{offering.course.code}_{timezone.localtime():%Y%m%d_%H%M}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


# --- Enrolment by rule -------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def enrolment_rule(request: AuthedRequest, offering_id: int) -> HttpResponse:
    """GET: the filters; GET with ?preview=1: the count and a sample; POST: enrol (idempotent)."""
    offering = permissions.access_offering(request.user, offering_id)
    params = request.POST if request.method == "POST" else request.GET
    rule = selectors.EnrolmentRule.from_params(params)
    source = params.get("source") or EnrolmentSource.ASSIGNED
    if request.method == "POST":
        try:
            result = actions.enrolments_assign(
                acting_user=request.user, offering=offering, rule=rule, source=source, request=request
            )
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            return redirect("training:offering_detail", offering_id=offering.pk)
        messages.success(
            request,
            f"已为 {result['created']} 位教师选课（{EnrolmentSource(source).label}）；"
            f"{result['already']} 位已选过，跳过；{result['over_cap']} 位因超过每期学时上限未选。",
        )
        return redirect("training:enrolment_list", offering_id=offering.pk)
    context: dict[str, Any] = {
        "offering": offering,
        "period": offering.period,
        "rule": rule,
        "source": source if source in EnrolmentSource.values else EnrolmentSource.ASSIGNED,
        "admin_sources": ADMIN_SOURCE_CHOICES,
        **_filter_choices(request),
    }
    if request.GET.get("preview"):
        plan = selectors.assignment_plan(request.user, offering, rule)
        sample_ids = plan.new_teacher_ids[:SAMPLE_SIZE]
        sample = (
            org_permissions.teachers_visible_to(request.user)
            .filter(pk__in=sample_ids)
            .select_related("user", "school__region", "stage", "subject")
            .order_by("teacher_no")
        )
        context |= {"plan": plan, "sample": sample, "to_create": len(plan.new_teacher_ids)}
    return render(request, "training/enrolment_rule.html", context)


# --- Enrolment by file -------------------------------------------------------------------------
def _upload_dir() -> Path:
    # Under var/private, never MEDIA_ROOT: the files name teachers.
    path = Path(settings.VAR_DIR) / "private" / "enrolment-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stored_upload(request: AuthedRequest) -> tuple[Path, str] | None:
    saved = request.session.get(UPLOAD_SESSION_KEY) or {}
    token, filename = saved.get("token", ""), saved.get("filename", "")
    if not token or not token.isalnum():
        return None
    path = _upload_dir() / f"{request.user.pk}-{token}"
    return (path, filename) if path.exists() else None


@login_required
@require_http_methods(["GET", "POST"])
def enrolment_upload(request: AuthedRequest) -> HttpResponse:
    """Upload → preview (a dry run listing every bad row) → confirm (enrolment_upload_confirm)."""
    permissions.require_project_admin(request.user)
    form = EnrolmentUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(settings.ROSTER_MAX_UPLOAD_BYTES + 1)
        if len(data) > settings.ROSTER_MAX_UPLOAD_BYTES:
            form.add_error("file", "文件太大。")
        else:
            try:
                summary = actions.enrolments_import(data, upload.name, actor=request.user, dry_run=True)
            except ApplicationError as exc:
                form.add_error("file", exc.message)
            else:
                previous = _stored_upload(request)
                if previous:
                    previous[0].unlink(missing_ok=True)
                token = secrets.token_hex(16)
                (_upload_dir() / f"{request.user.pk}-{token}").write_bytes(data)
                request.session[UPLOAD_SESSION_KEY] = {"token": token, "filename": upload.name}
                context = {"summary": summary, "filename": upload.name}
                return render(request, "training/enrolment_upload_preview.html", context)
    context = {"form": form, "headers": "、".join(actions.ENROLMENT_HEADERS)}
    return render(request, "training/enrolment_upload.html", context, status=_status(request))


@login_required
@require_POST
def enrolment_upload_confirm(request: AuthedRequest) -> HttpResponse:
    permissions.require_project_admin(request.user)
    stored = _stored_upload(request)
    if stored is None:
        messages.error(request, "上传的文件已过期或已导入，请重新上传。")
        return redirect("training:enrolment_upload")
    path, filename = stored
    try:
        summary = actions.enrolments_import(path.read_bytes(), filename, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("training:enrolment_upload")
    path.unlink(missing_ok=True)
    request.session.pop(UPLOAD_SESSION_KEY, None)
    messages.success(
        request,
        f"已导入：新增选课 {summary['created']} 条，已存在 {summary['unchanged']} 条，"
        f"有问题的行 {summary['errors']} 行未导入。",
    )
    return redirect("training:project_list")


# --- Retakes -----------------------------------------------------------------------------------
def _retake_context(request: AuthedRequest, period: Period) -> dict[str, Any]:
    return {
        "period": period,
        "courses": Course.objects.filter(offerings__period__project_id=period.project_id).distinct().order_by("code"),
        "regions": org_permissions.regions_visible_to(request.user),
        "schools": org_permissions.schools_visible_to(request.user).order_by("region_id", "name"),
        "subjects": Subject.objects.all(),
    }


@login_required
@require_GET
def retake_candidates(request: AuthedRequest, period_id: int) -> HttpResponse:
    period = permissions.access_period(request.user, period_id)
    filters = selectors.RetakeFilter.from_params(request.GET)
    candidates = selectors.retake_candidates(request.user, period, filters).select_related(
        "teacher__user", "teacher__school__region", "teacher__subject", "offering__course", "offering__period"
    )
    form = RetakeDatesForm(initial={"opens_on": period.starts_on, "closes_on": period.ends_on})
    context = {
        **_retake_context(request, period),
        "page": _page(request, candidates),
        "filters": filters,
        "filter_params": filters.as_params(),
        "form": form,
    }
    return render(request, "training/retake_candidates.html", context)


@login_required
@require_POST
def retakes_open(request: AuthedRequest, period_id: int) -> HttpResponse:
    period = permissions.access_period(request.user, period_id)
    form = RetakeDatesForm(request.POST)
    back = f"{reverse('training:retake_candidates', kwargs={'period_id': period.pk})}"
    if not form.is_valid():
        messages.error(request, "请填写学习开始和结束日期。")
        return redirect(back)
    if request.POST.get("all") == "1":
        filters = selectors.RetakeFilter.from_params(request.POST)
        ids = list(selectors.retake_candidates(request.user, period, filters).values_list("pk", flat=True))
    else:
        ids = [int(v) for v in request.POST.getlist("enrolment") if v.isdigit()]
    if not ids:
        messages.error(request, "请先勾选要开放重修的学员课程。")
        return redirect(back)
    try:
        result = actions.retakes_open(
            acting_user=request.user,
            period=period,
            enrolment_ids=ids,
            opens_on=form.cleaned_data["opens_on"],
            closes_on=form.cleaned_data["closes_on"],
            request=request,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        f"已开放重修 {result['created']} 门次；{result['already_enrolled']} 位教师本期已选该课程，未重复开放；"
        f"{result['skipped']} 条不符合重修条件或已开放，跳过。",
    )
    return redirect("training:retake_list", period_id=period.pk)


@login_required
@require_GET
def retake_list(request: AuthedRequest, period_id: int) -> HttpResponse:
    period = permissions.access_period(request.user, period_id)
    filters = selectors.RetakeFilter.from_params(request.GET)
    retakes = selectors.retake_search(request.user, period, filters).select_related(
        "teacher__user", "teacher__school__region", "offering__course", "retake_of__offering__period"
    )
    context = {
        **_retake_context(request, period),
        "page": _page(request, retakes),
        "filters": filters,
        "statuses": EnrolmentStatus.choices,
        "export_query": _without_page(request),
    }
    return render(request, "training/retake_list.html", context)


@login_required
@require_GET
def retake_export(request: AuthedRequest, period_id: int) -> FileResponse:
    period = permissions.access_period(request.user, period_id)
    filters = selectors.RetakeFilter.from_params(request.GET)
    handle = actions.retakes_export(acting_user=request.user, period=period, filters=filters, request=request)
    filename = f"重修课程_{period.code}_{timezone.localtime():%Y%m%d_%H%M}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


# --- The learner's course menu (选课) ----------------------------------------------------------
def _menu_fragment(
    request: AuthedRequest, period: Period, *, notice: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    teacher = permissions.learner_of(request.user)
    context = {"menu": selectors.course_menu(teacher, period), "notice": notice, "error": error}
    return render(request, "training/_menu_period.html", context, status=status)


@login_required
@require_GET
def choose(request: AuthedRequest) -> HttpResponse:
    teacher = permissions.learner_of(request.user)
    periods = selectors.periods_open_for(teacher, timezone.now())
    menus = [selectors.course_menu(teacher, period) for period in periods]
    return render(request, "training/choose.html", {"teacher": teacher, "menus": menus})


@login_required
@require_POST
def choose_offering(request: AuthedRequest, offering_id: int) -> HttpResponse:
    offering: Offering = permissions.access_offering_to_choose(request.user, offering_id)
    try:
        actions.enrolment_choose(acting_user=request.user, offering=offering, request=request)
    except ApplicationError as exc:
        if request.htmx:
            return _menu_fragment(request, offering.period, error=exc.message, status=exc.status)
        messages.error(request, exc.message)
        return redirect("training:choose")
    notice = f"已选课程：{offering.course.title}。"
    if request.htmx:
        return _menu_fragment(request, offering.period, notice=notice)
    messages.success(request, notice)
    return redirect("training:choose")


@login_required
@require_POST
def drop_enrolment(request: AuthedRequest, enrolment_id: int) -> HttpResponse:
    enrolment = permissions.access_own_enrolment(request.user, enrolment_id)
    period = enrolment.offering.period
    try:
        actions.enrolment_drop(acting_user=request.user, enrolment=enrolment, request=request)
    except ApplicationError as exc:
        if request.htmx:
            return _menu_fragment(request, period, error=exc.message, status=exc.status)
        messages.error(request, exc.message)
        return redirect("training:choose")
    notice = f"已退选课程：{enrolment.offering.course.title}。"
    if request.htmx:
        return _menu_fragment(request, period, notice=notice)
    messages.success(request, notice)
    return redirect("training:choose")
