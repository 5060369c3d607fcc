"""Course authoring pages (课程制作) and the media view for `make run`.

Each view parses, checks access through catalog.permissions, calls one action or selector, renders.
Structure edits (add, rename, reorder, delete) answer an htmx request with the structure fragment
and a plain form post with a redirect, so they work without JavaScript too.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanxiu.catalog import actions, permissions, selectors
from yanxiu.catalog.forms import ActivityForm, ChapterForm, CheckpointForm, CourseForm
from yanxiu.catalog.models import PLAYABLE_KINDS, Activity, ActivityKind, Course, CourseStatus, MediaStatus
from yanxiu.core.errors import ApplicationError, NotFound
from yanxiu.core.http import AuthedRequest


# --- Courses -------------------------------------------------------------------------------------
@login_required
@require_GET
def course_list(request: AuthedRequest) -> HttpResponse:
    permissions.require_author(request.user)
    courses = selectors.courses_for_author(permissions.courses_editable_by(request.user))
    return render(request, "catalog/course_list.html", {"courses": courses})


def _course_args(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": data["code"],
        "title": data["title"],
        "category": data["category"],
        "course_type": data["course_type"],
        "credit_hours": data["credit_hours"],
        "all_stages": data["all_stages"],
        "stages": data["stages"],
        "all_subjects": data["all_subjects"],
        "subjects": data["subjects"],
        "speaker": data["speaker"],
        "description": data["description"],
        "cover": data.get("cover"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def course_create(request: AuthedRequest) -> HttpResponse:
    permissions.require_author(request.user)
    form = CourseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = actions.course_create(acting_user=request.user, request=request, **_course_args(form.cleaned_data))
        except ApplicationError as exc:
            form.add_error("cover" if exc.code.startswith(("bad_image", "file_", "empty")) else None, exc.message)
        else:
            messages.success(request, f"已创建课程“{course.title}”，请添加章节和学习活动。")
            return redirect("catalog:course_structure", course_id=course.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "catalog/course_form.html", {"form": form, "creating": True}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def course_edit(request: AuthedRequest, course_id: int) -> HttpResponse:
    course = permissions.access_course_for_edit(request.user, course_id)
    initial = {
        "code": course.code,
        "title": course.title,
        "category": course.category,
        "course_type": course.course_type,
        "credit_hours": course.credit_hours,
        "all_stages": course.all_stages,
        "stages": list(course.stages.all()),
        "all_subjects": course.all_subjects,
        "subjects": list(course.subjects.all()),
        "speaker": course.speaker,
        "description": course.description,
    }
    form = CourseForm(request.POST or None, request.FILES or None, initial=initial, has_cover=bool(course.cover))
    if request.method == "POST" and form.is_valid():
        try:
            actions.course_update(
                acting_user=request.user,
                course=course,
                remove_cover=form.cleaned_data.get("remove_cover", False),
                request=request,
                **_course_args(form.cleaned_data),
            )
        except ApplicationError as exc:
            form.add_error("cover" if exc.code.startswith(("bad_image", "file_", "empty")) else None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("catalog:course_structure", course_id=course.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "catalog/course_form.html", {"form": form, "course": course}, status=status)


def _structure_context(course: Course, error: str = "") -> dict[str, Any]:
    chapters = selectors.course_structure(course)
    return {
        "course": course,
        "chapters": chapters,
        "kinds": [(kind, ActivityKind(kind).label) for kind in actions.AUTHORING_KINDS],
        "chapter_form": ChapterForm(),
        "error": error,
        "publish_problems": actions.course_publish_problems(course) if course.status != CourseStatus.PUBLISHED else [],
    }


@login_required
@require_GET
def course_structure(request: AuthedRequest, course_id: int) -> HttpResponse:
    course = permissions.access_course_for_edit(request.user, course_id)
    return render(request, "catalog/course_structure.html", _structure_context(course))


def _after_structure_edit(request: AuthedRequest, course: Course, error: str = "") -> HttpResponse:
    """htmx: the refreshed structure (with the error, if any); plain post: back to the page."""
    course.refresh_from_db()
    if request.htmx:
        return render(request, "catalog/_structure.html", _structure_context(course, error))
    if error:
        messages.error(request, error)
    return redirect("catalog:course_structure", course_id=course.pk)


@login_required
@require_POST
def course_publish(request: AuthedRequest, course_id: int) -> HttpResponse:
    course = permissions.access_course_for_edit(request.user, course_id)
    try:
        actions.course_publish(acting_user=request.user, course=course, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "课程已发布。")
    return redirect("catalog:course_structure", course_id=course.pk)


@login_required
@require_POST
def course_retire(request: AuthedRequest, course_id: int) -> HttpResponse:
    course = permissions.access_course_for_edit(request.user, course_id)
    try:
        actions.course_retire(acting_user=request.user, course=course, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "课程已停用。")
    return redirect("catalog:course_structure", course_id=course.pk)


# --- Chapters ------------------------------------------------------------------------------------
@login_required
@require_POST
def chapter_create(request: AuthedRequest, course_id: int) -> HttpResponse:
    course = permissions.access_course_for_edit(request.user, course_id)
    try:
        actions.chapter_create(
            acting_user=request.user, course=course, title=request.POST.get("title", ""), request=request
        )
    except ApplicationError as exc:
        return _after_structure_edit(request, course, exc.message)
    return _after_structure_edit(request, course)


@login_required
@require_POST
def chapter_rename(request: AuthedRequest, chapter_id: int) -> HttpResponse:
    chapter = permissions.access_chapter_for_edit(request.user, chapter_id)
    try:
        actions.chapter_update(
            acting_user=request.user, chapter=chapter, title=request.POST.get("title", ""), request=request
        )
    except ApplicationError as exc:
        return _after_structure_edit(request, chapter.course, exc.message)
    return _after_structure_edit(request, chapter.course)


@login_required
@require_POST
def chapter_delete(request: AuthedRequest, chapter_id: int) -> HttpResponse:
    chapter = permissions.access_chapter_for_edit(request.user, chapter_id)
    try:
        actions.chapter_delete(acting_user=request.user, chapter=chapter, request=request)
    except ApplicationError as exc:
        return _after_structure_edit(request, chapter.course, exc.message)
    return _after_structure_edit(request, chapter.course)


@login_required
@require_POST
def chapter_move(request: AuthedRequest, chapter_id: int) -> HttpResponse:
    chapter = permissions.access_chapter_for_edit(request.user, chapter_id)
    try:
        actions.chapter_move(
            acting_user=request.user, chapter=chapter, direction=request.POST.get("direction", ""), request=request
        )
    except ApplicationError as exc:
        return _after_structure_edit(request, chapter.course, exc.message)
    return _after_structure_edit(request, chapter.course)


# --- Activities ----------------------------------------------------------------------------------
def _activity_args(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {"title": data["title"], "required": data["required"]}
    if kind in PLAYABLE_KINDS:
        args["watch_ratio"] = Decimal(data["watch_percent"]) / 100
    if kind == ActivityKind.PAGE:
        args["body"] = data["body"]
    if kind == ActivityKind.LINK:
        args["url"] = data["url"]
    if data.get("file"):
        args["upload"] = data["file"]
    return args


def _form_error_field(form: ActivityForm, exc: ApplicationError) -> str | None:
    if "file" in form.fields and exc.code not in ("required", "too_long", "bad_watch_ratio", "bad_url"):
        return "file"
    return None


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: AuthedRequest, chapter_id: int) -> HttpResponse:
    chapter = permissions.access_chapter_for_edit(request.user, chapter_id)
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    if kind not in actions.AUTHORING_KINDS:
        raise NotFound("不支持的学习活动类型。")
    form = ActivityForm(request.POST or None, request.FILES or None, kind=kind, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            activity = actions.activity_create(
                acting_user=request.user,
                chapter=chapter,
                kind=kind,
                request=request,
                **_activity_args(kind, form.cleaned_data),
            )
        except ApplicationError as exc:
            form.add_error(_form_error_field(form, exc), exc.message)
        else:
            messages.success(request, f"已添加“{activity.title}”。")
            if kind in PLAYABLE_KINDS or activity.media_status == MediaStatus.PENDING:
                return redirect("catalog:activity_edit", activity_id=activity.pk)
            return redirect("catalog:course_structure", course_id=chapter.course_id)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "chapter": chapter, "course": chapter.course, "kind": kind, "creating": True}
    context["kind_label"] = ActivityKind(kind).label
    return render(request, "catalog/activity_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: AuthedRequest, activity_id: int) -> HttpResponse:
    activity = permissions.access_activity_for_edit(request.user, activity_id)
    initial: dict[str, Any] = {"title": activity.title, "required": activity.required, "url": activity.url}
    initial["body"] = activity.body_html
    ratio = (activity.completion or {}).get("watch_ratio")
    initial["watch_percent"] = int(Decimal(str(ratio)) * 100) if ratio else 90
    form = ActivityForm(
        request.POST or None, request.FILES or None, kind=activity.kind, creating=False, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            activity = actions.activity_update(
                acting_user=request.user,
                activity=activity,
                request=request,
                **_activity_args(activity.kind, form.cleaned_data),
            )
        except ApplicationError as exc:
            form.add_error(_form_error_field(form, exc), exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("catalog:activity_edit", activity_id=activity.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "catalog/activity_form.html", _activity_context(activity, form), status=status)


def _activity_context(activity: Activity, form: ActivityForm, checkpoint_form: CheckpointForm | None = None) -> dict:
    return {
        "form": form,
        "activity": activity,
        "chapter": activity.chapter,
        "course": activity.course,
        "kind": activity.kind,
        "kind_label": activity.get_kind_display(),
        "playable": activity.kind in PLAYABLE_KINDS,
        "checkpoints": list(activity.checkpoints.all()) if activity.kind in PLAYABLE_KINDS else [],
        "checkpoint_form": checkpoint_form or CheckpointForm(),
        **_media_context(activity),
    }


def _media_context(activity: Activity) -> dict[str, Any]:
    return {
        "playlist_url": selectors.playlist_url(activity),
        "viewer_url": selectors.viewer_url(activity),
        "viewer_kind": selectors.viewer_kind(activity),
        "download_url": selectors.download_url(activity),
        "media_running": activity.media_status in (MediaStatus.PENDING, MediaStatus.PROCESSING),
    }


@login_required
@require_GET
def activity_media_status(request: AuthedRequest, activity_id: int) -> HttpResponse:
    """The progress fragment the edit page polls while a video is transcoded."""
    activity = permissions.access_activity_for_edit(request.user, activity_id)
    return render(request, "catalog/_media_status.html", {"activity": activity, **_media_context(activity)})


@login_required
@require_POST
def activity_delete(request: AuthedRequest, activity_id: int) -> HttpResponse:
    activity = permissions.access_activity_for_edit(request.user, activity_id)
    try:
        actions.activity_delete(acting_user=request.user, activity=activity, request=request)
    except ApplicationError as exc:
        return _after_structure_edit(request, activity.course, exc.message)
    return _after_structure_edit(request, activity.course)


@login_required
@require_POST
def activity_move(request: AuthedRequest, activity_id: int) -> HttpResponse:
    activity = permissions.access_activity_for_edit(request.user, activity_id)
    chapter = None
    if request.POST.get("chapter"):
        chapter = permissions.access_chapter_for_edit(request.user, request.POST["chapter"])
    try:
        actions.activity_move(
            acting_user=request.user,
            activity=activity,
            direction=request.POST.get("direction", ""),
            chapter=chapter,
            request=request,
        )
    except ApplicationError as exc:
        return _after_structure_edit(request, activity.course, exc.message)
    return _after_structure_edit(request, activity.course)


@login_required
@require_GET
def activity_download(request: AuthedRequest, activity_id: int) -> FileResponse:
    """A document's original, for signed-in users who may see the course; never a public URL."""
    activity = permissions.access_activity_original(request.user, activity_id)
    if activity.kind != ActivityKind.DOCUMENT or not activity.media_file:
        raise NotFound()
    suffix = Path(activity.media_file.name or "").suffix
    try:
        handle = activity.media_file.open("rb")
    except FileNotFoundError:
        raise NotFound("文件已不存在。") from None
    return FileResponse(handle, as_attachment=True, filename=f"{activity.title}{suffix}")


# --- Checkpoints ---------------------------------------------------------------------------------
@login_required
@require_POST
def checkpoint_create(request: AuthedRequest, activity_id: int) -> HttpResponse:
    activity = permissions.access_activity_for_edit(request.user, activity_id)
    form = CheckpointForm(request.POST)
    if form.is_valid():
        try:
            actions.checkpoint_create(
                acting_user=request.user,
                activity=activity,
                at_seconds=form.cleaned_data["at_seconds"],
                question=form.cleaned_data["question"],
                choices=form.choice_list(),
                answer=form.cleaned_data["answer"] - 1,
                request=request,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已添加视频内问题。")
            return redirect("catalog:activity_edit", activity_id=activity.pk)
    edit_form = ActivityForm(kind=activity.kind, creating=False, initial={"title": activity.title})
    return render(request, "catalog/activity_form.html", _activity_context(activity, edit_form, form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def checkpoint_edit(request: AuthedRequest, checkpoint_id: int) -> HttpResponse:
    checkpoint = permissions.access_checkpoint_for_edit(request.user, checkpoint_id)
    initial = {
        "at_seconds": checkpoint.at_seconds,
        "question": checkpoint.question,
        "choices": "\n".join(checkpoint.choices),
        "answer": checkpoint.answer + 1,
    }
    form = CheckpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.checkpoint_update(
                acting_user=request.user,
                checkpoint=checkpoint,
                at_seconds=form.cleaned_data["at_seconds"],
                question=form.cleaned_data["question"],
                choices=form.choice_list(),
                answer=form.cleaned_data["answer"] - 1,
                request=request,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("catalog:activity_edit", activity_id=checkpoint.activity_id)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "checkpoint": checkpoint, "activity": checkpoint.activity}
    return render(request, "catalog/checkpoint_form.html", context, status=status)


@login_required
@require_POST
def checkpoint_delete(request: AuthedRequest, checkpoint_id: int) -> HttpResponse:
    checkpoint = permissions.access_checkpoint_for_edit(request.user, checkpoint_id)
    actions.checkpoint_delete(acting_user=request.user, checkpoint=checkpoint, request=request)
    messages.success(request, "已删除视频内问题。")
    return redirect("catalog:activity_edit", activity_id=checkpoint.activity_id)


# --- Media for `make run` ------------------------------------------------------------------------
# What nginx serves in production (deploy/nginx/yanxiu.conf); uploads/ (originals) never.
PUBLIC_MEDIA_PREFIXES = frozenset({"hls", "viewer", "covers"})
MEDIA_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


@require_GET
@xframe_options_sameorigin  # PDFs are shown in an <iframe> of the learner's page
def serve_media(request: HttpRequest, path: str) -> FileResponse:
    if not settings.SERVE_MEDIA:
        raise Http404
    parts = path.split("/")
    if parts[0] not in PUBLIC_MEDIA_PREFIXES or any(p in ("", ".", "..") for p in parts) or "\\" in path:
        raise Http404
    content_type = MEDIA_TYPES.get(Path(parts[-1]).suffix.lower())
    if content_type is None:
        raise Http404
    root = (Path(settings.MEDIA_ROOT) / parts[0]).resolve()
    full = (Path(settings.MEDIA_ROOT) / path).resolve()
    if not full.is_relative_to(root) or not full.is_file():
        raise Http404
    response = FileResponse(full.open("rb"), content_type=content_type)
    # Names carry a random token and never change in place.
    response["Cache-Control"] = "public, max-age=86400"
    return response
