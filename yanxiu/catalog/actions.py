"""Every write of course authoring: courses, chapters, activities (with their media) and checkpoints.

Each action checks again that the acting user may edit the course (views are not trusted to have
done it), validates, writes and records an audit event in one transaction. Structure edits lock
the course row first, so two authors reordering the same course take turns and positions stay
dense (0, 1, 2, ...). Uploaded files are checked by their content before anything is written, and
removed again if the transaction does not commit.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.http import HttpRequest

from yanxiu.accounts.models import User
from yanxiu.catalog import media, permissions
from yanxiu.catalog.models import (
    PLAYABLE_KINDS,
    Activity,
    ActivityKind,
    Chapter,
    Checkpoint,
    Course,
    CourseCategory,
    CourseStatus,
    CourseType,
    MediaStatus,
)
from yanxiu.core.audit import audit_record
from yanxiu.core.errors import NotFound, ValidationFailed
from yanxiu.org.models import Stage, Subject

# Assignments and discussions come with the tutoring issue; authoring does not offer them yet.
AUTHORING_KINDS = (
    ActivityKind.VIDEO,
    ActivityKind.MICRO_LESSON,
    ActivityKind.DOCUMENT,
    ActivityKind.PAGE,
    ActivityKind.LINK,
)
DEFAULT_WATCH_RATIO = Decimal("0.9")
MIN_HOURS, MAX_HOURS = Decimal("0.5"), Decimal("200")
MIN_CHOICES, MAX_CHOICES = 2, 6
# Tags and attributes nh3 (ammonia) allows by default, minus every URL scheme but these.
PAGE_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_page(html: str) -> str:
    """Page bodies are stored sanitised: no scripts, no event handlers, no javascript: links."""
    return nh3.clean(html or "", url_schemes=PAGE_URL_SCHEMES).strip()


# --- Helpers -------------------------------------------------------------------------------------
def _check_editable(acting_user: User, course: Course) -> None:
    if not permissions.courses_editable_by(acting_user).filter(pk=course.pk).exists():
        raise NotFound()


def _lock_course(course: Course) -> Course:
    """Lock the course for an authoring write, and mark its structure as changed (learners' cached
    outlines follow the version; the write rolls back with it if it fails)."""
    locked = Course.objects.select_for_update().get(pk=course.pk)
    Course.objects.filter(pk=course.pk).update(structure_version=F("structure_version") + 1)
    locked.structure_version += 1
    return locked


def _text(value: str, *, label: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"请填写{label}。", code="required")
    if len(value) > max_length:
        raise ValidationFailed(f"{label}不能超过 {max_length} 个字。", code="too_long")
    return value


def _renumber(rows: Sequence[Model]) -> None:
    """Positions 0..n-1 in the given order; only rows whose position changes are written."""
    changed = []
    for index, row in enumerate(rows):
        if row.position != index:  # type: ignore[attr-defined]
            row.position = index  # type: ignore[attr-defined]
            changed.append(row)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["position"])  # type: ignore[attr-defined]


def _moved(rows: list[Any], row: Any, direction: str) -> list[Any]:
    index = next(i for i, r in enumerate(rows) if r.pk == row.pk)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down"):
        raise ValidationFailed("移动方向无效。", code="bad_direction")
    if 0 <= target < len(rows):
        rows[index], rows[target] = rows[target], rows[index]
    return rows


@contextmanager
def _files_removed_on_failure() -> Iterator[list[str]]:
    """Names (relative to MEDIA_ROOT) saved inside the block are deleted if the block fails."""
    saved: list[str] = []
    try:
        yield saved
    except BaseException:
        for name in saved:
            media.remove_file(name)
        raise


@contextmanager
def _upload_on_disk(upload: File) -> Iterator[Path]:
    """A path to the upload's bytes: large uploads already stream to a temporary file."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        yield Path(temporary())
        return
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name or "").suffix.lower()) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        yield Path(handle.name)
    upload.seek(0)


def _check_size(upload: File, limit: int, what: str) -> None:
    if not upload.size:
        raise ValidationFailed("文件是空的，请重新选择。", code="empty_file")
    if upload.size > limit:
        raise ValidationFailed(f"{what}太大（上限 {media.mebibytes(limit)}）。", code="file_too_large")


# --- Courses -------------------------------------------------------------------------------------
def _course_fields(
    *,
    code: str,
    title: str,
    category: str,
    course_type: str,
    credit_hours: Decimal | str,
    speaker: str,
    description: str,
) -> dict[str, Any]:
    if category not in CourseCategory.values:
        raise ValidationFailed("请选择有效的选课类型。", code="bad_category")
    if course_type and course_type not in CourseType.values:
        raise ValidationFailed("请选择有效的课程类型。", code="bad_course_type")
    try:
        hours = Decimal(str(credit_hours))
        if not hours.is_finite() or hours != hours.quantize(Decimal("0.1")):
            raise InvalidOperation
    except InvalidOperation:
        raise ValidationFailed("学时应为数字，最多一位小数。", code="bad_hours") from None
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise ValidationFailed(f"学时应在 {MIN_HOURS} 到 {MAX_HOURS} 之间。", code="bad_hours")
    return {
        "code": _text(code, label="课程编号", max_length=32),
        "title": _text(title, label="课程名称", max_length=200),
        "category": category,
        "course_type": course_type or "",
        "credit_hours": hours,
        "speaker": _text(speaker, label="主讲人", max_length=100, required=False),
        "description": _text(description, label="课程简介", max_length=5000, required=False),
    }


def _check_cover(cover: File) -> str:
    _check_size(cover, settings.CATALOG_MAX_COVER_BYTES, "封面图片")
    with _upload_on_disk(cover) as path:
        fmt = media.check_image(path)
    return ".jpg" if fmt == "jpeg" else f".{fmt}"


def course_create(
    *,
    acting_user: User,
    code: str,
    title: str,
    category: str,
    credit_hours: Decimal | str,
    course_type: str = "",
    all_stages: bool = False,
    stages: Iterable[Stage] = (),
    all_subjects: bool = False,
    subjects: Iterable[Subject] = (),
    speaker: str = "",
    description: str = "",
    cover: File | None = None,
    request: HttpRequest | None = None,
) -> Course:
    """Create a draft course owned by the acting author."""
    permissions.require_author(acting_user)
    fields = _course_fields(
        code=code,
        title=title,
        category=category,
        course_type=course_type,
        credit_hours=credit_hours,
        speaker=speaker,
        description=description,
    )
    cover_suffix = _check_cover(cover) if cover is not None else ""
    try:
        with _files_removed_on_failure() as saved, transaction.atomic():
            course = Course.objects.create(
                **fields,
                all_stages=all_stages,
                all_subjects=all_subjects,
                status=CourseStatus.DRAFT,
                created_by=acting_user,
            )
            course.stages.set([] if all_stages else list(stages))
            course.subjects.set([] if all_subjects else list(subjects))
            if cover is not None:
                course.cover.save(f"{secrets.token_urlsafe(12)}{cover_suffix}", cover, save=True)
                saved.append(course.cover.name or "")
            audit_record(
                action="course.created", actor=acting_user, request=request, target=course, detail={"code": course.code}
            )
    except IntegrityError:
        raise ValidationFailed(f"课程编号“{fields['code']}”已存在。", code="course_code_taken") from None
    return course


def course_update(
    *,
    acting_user: User,
    course: Course,
    code: str,
    title: str,
    category: str,
    credit_hours: Decimal | str,
    course_type: str = "",
    all_stages: bool = False,
    stages: Iterable[Stage] = (),
    all_subjects: bool = False,
    subjects: Iterable[Subject] = (),
    speaker: str = "",
    description: str = "",
    cover: File | None = None,
    remove_cover: bool = False,
    request: HttpRequest | None = None,
) -> Course:
    _check_editable(acting_user, course)
    fields = _course_fields(
        code=code,
        title=title,
        category=category,
        course_type=course_type,
        credit_hours=credit_hours,
        speaker=speaker,
        description=description,
    )
    cover_suffix = _check_cover(cover) if cover is not None else ""
    try:
        with _files_removed_on_failure() as saved, transaction.atomic():
            locked = _lock_course(course)
            old_cover = locked.cover.name
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.all_stages, locked.all_subjects = all_stages, all_subjects
            if cover is not None:
                locked.cover.save(f"{secrets.token_urlsafe(12)}{cover_suffix}", cover, save=False)
                saved.append(locked.cover.name or "")
            elif remove_cover:
                locked.cover.name = ""
            locked.save()
            locked.stages.set([] if all_stages else list(stages))
            locked.subjects.set([] if all_subjects else list(subjects))
            audit_record(
                action="course.updated", actor=acting_user, request=request, target=locked, detail={"code": locked.code}
            )
            if old_cover and old_cover != locked.cover.name:
                transaction.on_commit(lambda: media.remove_file(old_cover))
    except IntegrityError:
        raise ValidationFailed(f"课程编号“{fields['code']}”已存在。", code="course_code_taken") from None
    return locked


def course_publish_problems(course: Course) -> list[str]:
    """Why a course cannot be published yet (empty when it can)."""
    problems = []
    if not course.chapters.exists():
        problems.append("课程至少需要一个章节。")
    activities = Activity.objects.filter(course=course)
    if not activities.filter(required=True).exists():
        problems.append("课程至少需要一个必修学习活动。")
    waiting = list(
        activities.filter(kind__in=PLAYABLE_KINDS)
        .exclude(media_status=MediaStatus.READY)
        .values_list("title", flat=True)
    )
    if waiting:
        problems.append(f"以下视频尚未处理完成：{'、'.join(waiting)}。请等待转码完成，或重新上传。")
    return problems


def course_publish(*, acting_user: User, course: Course, request: HttpRequest | None = None) -> Course:
    """Publish a draft (or retired) course: at least one chapter, one required activity, and
    every video transcoded."""
    _check_editable(acting_user, course)
    with transaction.atomic():
        locked = _lock_course(course)
        if locked.status == CourseStatus.PUBLISHED:
            return locked
        problems = course_publish_problems(locked)
        if problems:
            raise ValidationFailed("课程还不能发布：" + " ".join(problems), code="not_publishable")
        locked.status = CourseStatus.PUBLISHED
        locked.save(update_fields=["status", "updated_at"])
        audit_record(action="course.published", actor=acting_user, request=request, target=locked)
    return locked


def course_retire(*, acting_user: User, course: Course, request: HttpRequest | None = None) -> Course:
    """Stop offering a published course; learners' records stay."""
    _check_editable(acting_user, course)
    with transaction.atomic():
        locked = _lock_course(course)
        if locked.status == CourseStatus.RETIRED:
            return locked
        if locked.status != CourseStatus.PUBLISHED:
            raise ValidationFailed("只有已发布的课程可以停用。", code="not_published")
        locked.status = CourseStatus.RETIRED
        locked.save(update_fields=["status", "updated_at"])
        audit_record(action="course.retired", actor=acting_user, request=request, target=locked)
    return locked


def _refuse_removal_once_published(course: Course, what: str) -> None:
    # Learners' progress hangs on activities (deleted with them): once a course has been
    # published, its structure only grows or moves.
    if course.status != CourseStatus.DRAFT:
        raise ValidationFailed(f"课程已发布过，不能删除{what}（学员的学习记录会随之丢失）。", code="published")


# --- Chapters ------------------------------------------------------------------------------------
def chapter_create(*, acting_user: User, course: Course, title: str, request: HttpRequest | None = None) -> Chapter:
    _check_editable(acting_user, course)
    title = _text(title, label="章节名称", max_length=200)
    with transaction.atomic():
        locked = _lock_course(course)
        chapter = Chapter.objects.create(course=locked, title=title, position=locked.chapters.count())
        audit_record(
            action="chapter.created", actor=acting_user, request=request, target=chapter, detail={"title": title}
        )
    return chapter


def chapter_update(*, acting_user: User, chapter: Chapter, title: str, request: HttpRequest | None = None) -> Chapter:
    _check_editable(acting_user, chapter.course)
    title = _text(title, label="章节名称", max_length=200)
    with transaction.atomic():
        _lock_course(chapter.course)
        Chapter.objects.filter(pk=chapter.pk).update(title=title)
        chapter.title = title
        audit_record(
            action="chapter.updated", actor=acting_user, request=request, target=chapter, detail={"title": title}
        )
    return chapter


def chapter_delete(*, acting_user: User, chapter: Chapter, request: HttpRequest | None = None) -> None:
    """Delete an empty chapter; the others close up."""
    _check_editable(acting_user, chapter.course)
    with transaction.atomic():
        locked = _lock_course(chapter.course)
        _refuse_removal_once_published(locked, "章节")
        if Activity.objects.filter(chapter_id=chapter.pk).exists():
            raise ValidationFailed("请先删除本章的学习活动，或把它们移到其他章节。", code="chapter_not_empty")
        audit_record(
            action="chapter.deleted",
            actor=acting_user,
            request=request,
            target=chapter,
            detail={"title": chapter.title},
        )
        Chapter.objects.filter(pk=chapter.pk).delete()
        _renumber(list(locked.chapters.order_by("position", "id")))


def chapter_move(*, acting_user: User, chapter: Chapter, direction: str, request: HttpRequest | None = None) -> None:
    """Move a chapter one place up or down (at either end it stays)."""
    _check_editable(acting_user, chapter.course)
    with transaction.atomic():
        locked = _lock_course(chapter.course)
        rows = list(locked.chapters.select_for_update().order_by("position", "id"))
        _renumber(_moved(rows, chapter, direction))
        audit_record(
            action="chapter.moved", actor=acting_user, request=request, target=chapter, detail={"direction": direction}
        )


# --- Activities ----------------------------------------------------------------------------------
def _completion(kind: str, watch_ratio: Decimal | str | None) -> dict[str, Any]:
    if kind not in PLAYABLE_KINDS:
        return {"open": True}
    try:
        ratio = Decimal(str(watch_ratio)) if watch_ratio not in (None, "") else DEFAULT_WATCH_RATIO
    except InvalidOperation:
        raise ValidationFailed("观看比例应为 50% 到 100% 之间的数。", code="bad_watch_ratio") from None
    if not ratio.is_finite() or not Decimal("0.5") <= ratio <= Decimal("1"):
        raise ValidationFailed("观看比例应在 50% 到 100% 之间。", code="bad_watch_ratio")
    return {"watch_ratio": str(ratio.quantize(Decimal("0.01")).normalize())}


def _check_link(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise ValidationFailed("请填写链接地址。", code="required")
    if len(url) > 200:
        raise ValidationFailed("链接地址不能超过 200 个字符。", code="too_long")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationFailed("链接地址只能以 http:// 或 https:// 开头，并且是完整的网址。", code="bad_url") from None
    return url


class _CheckedUpload:
    """An upload that passed its content check, with what the check learnt."""

    def __init__(self, upload: File, suffix: str, *, duration: int | None = None, document: str = ""):
        self.upload, self.suffix, self.duration, self.document = upload, suffix, duration, document


def _check_media(kind: str, upload: File) -> _CheckedUpload:
    suffix = Path(upload.name or "").suffix.lower()
    if kind in PLAYABLE_KINDS:
        _check_size(upload, settings.CATALOG_MAX_VIDEO_BYTES, "视频文件")
        with _upload_on_disk(upload) as path:
            info = media.probe_video(path)
        return _CheckedUpload(
            upload, suffix if suffix in media.VIDEO_EXTENSIONS else ".video", duration=max(1, round(info.duration))
        )
    _check_size(upload, settings.CATALOG_MAX_DOCUMENT_BYTES, "文档")
    with _upload_on_disk(upload) as path:
        document = media.check_document(path, upload.name or "")
    return _CheckedUpload(upload, suffix, document=document)


def _store_media(activity: Activity, checked: _CheckedUpload, saved: list[str]) -> list[str]:
    """Save the upload on the activity (not yet on the row); returns the names it replaces."""
    replaced = [activity.media_file.name or ""] if activity.media_file else []
    activity.media_file.save(f"{secrets.token_urlsafe(12)}{checked.suffix}", checked.upload, save=False)
    saved.append(activity.media_file.name or "")
    activity.media_progress = 0
    activity.media_error = ""
    if checked.duration is not None:
        # Known from ffprobe at once, so checkpoints can be placed while a first transcode runs. A
        # re-upload keeps the playing video's duration (learners' progress is measured against it)
        # until its own transcode succeeds and sets the new one with the new playlist.
        if not activity.hls_playlist:
            activity.duration_seconds = checked.duration
        activity.media_status = MediaStatus.PENDING
    elif media.DOCUMENT_KINDS[checked.document][1]:
        # PDFs and images are shown as they are: a public copy now, the original stays private.
        if activity.viewer_file:
            replaced.append(activity.viewer_file.name or "")
        activity.viewer_file.name = media.store_viewer_copy(
            activity, media.media_root() / (activity.media_file.name or ""), checked.suffix
        )
        saved.append(activity.viewer_file.name or "")
        activity.media_status = MediaStatus.READY
        activity.media_progress = 100
    else:
        # Office files wait for LibreOffice in the worker; until then the old viewer file stays.
        activity.media_status = MediaStatus.PENDING
    return replaced


def _enqueue_processing(activity: Activity) -> None:
    if activity.media_status == MediaStatus.PENDING:
        from yanxiu.catalog.tasks import activity_media_process_task

        pk = activity.pk
        transaction.on_commit(lambda: activity_media_process_task.enqueue(pk))


def activity_create(
    *,
    acting_user: User,
    chapter: Chapter,
    kind: str,
    title: str,
    required: bool = True,
    watch_ratio: Decimal | str | None = None,
    body: str = "",
    url: str = "",
    upload: File | None = None,
    request: HttpRequest | None = None,
) -> Activity:
    """Add an activity at the end of a chapter. Videos and documents need their upload, checked by
    content; videos (and Office documents) are then processed by the task worker."""
    _check_editable(acting_user, chapter.course)
    if kind not in AUTHORING_KINDS:
        raise ValidationFailed("不支持的学习活动类型。", code="bad_kind")
    title = _text(title, label="活动名称", max_length=200)
    completion = _completion(kind, watch_ratio)
    fields: dict[str, Any] = {}
    if kind == ActivityKind.PAGE:
        fields["body_html"] = sanitize_page(body)
        if not fields["body_html"]:
            raise ValidationFailed("请填写页面正文。", code="required")
    elif kind == ActivityKind.LINK:
        fields["url"] = _check_link(url)
    checked = None
    if kind in PLAYABLE_KINDS or kind == ActivityKind.DOCUMENT:
        if upload is None:
            raise ValidationFailed("请选择要上传的文件。", code="required")
        checked = _check_media(kind, upload)
    with _files_removed_on_failure() as saved, transaction.atomic():
        course = _lock_course(chapter.course)
        if not Chapter.objects.filter(pk=chapter.pk, course=course).exists():
            raise NotFound()
        activity = Activity.objects.create(
            chapter=chapter,
            course=course,
            kind=kind,
            title=title,
            required=required,
            completion=completion,
            position=Activity.objects.filter(chapter=chapter).count(),
            **fields,
        )
        if checked is not None:
            _store_media(activity, checked, saved)
            activity.save()
        audit_record(
            action="activity.created",
            actor=acting_user,
            request=request,
            target=activity,
            detail={"kind": kind, "title": title, **({"bytes": upload.size} if upload is not None else {})},
        )
        _enqueue_processing(activity)
    return activity


def activity_update(
    *,
    acting_user: User,
    activity: Activity,
    title: str,
    required: bool = True,
    watch_ratio: Decimal | str | None = None,
    body: str = "",
    url: str = "",
    upload: File | None = None,
    request: HttpRequest | None = None,
) -> Activity:
    """Change an activity (its kind stays). A new upload replaces the old one; a video keeps
    playing its previous transcode until the new one has succeeded."""
    _check_editable(acting_user, activity.course)
    title = _text(title, label="活动名称", max_length=200)
    completion = _completion(activity.kind, watch_ratio)
    fields: dict[str, Any] = {"title": title, "required": required, "completion": completion}
    if activity.kind == ActivityKind.PAGE:
        fields["body_html"] = sanitize_page(body)
        if not fields["body_html"]:
            raise ValidationFailed("请填写页面正文。", code="required")
    elif activity.kind == ActivityKind.LINK:
        fields["url"] = _check_link(url)
    checked = _check_media(activity.kind, upload) if upload is not None else None
    with _files_removed_on_failure() as saved, transaction.atomic():
        _lock_course(activity.course)
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        replaced: list[str] = []
        if checked is not None:
            replaced = _store_media(locked, checked, saved)
        locked.save()
        audit_record(
            action="activity.updated",
            actor=acting_user,
            request=request,
            target=locked,
            detail={"title": title, "new_upload": checked is not None},
        )
        for name in replaced:
            transaction.on_commit(lambda name=name: media.remove_file(name))  # type: ignore[misc]
        _enqueue_processing(locked)
    return locked


def activity_delete(*, acting_user: User, activity: Activity, request: HttpRequest | None = None) -> None:
    """Delete an activity of a draft course, with its files; the others in its chapter close up."""
    _check_editable(acting_user, activity.course)
    with transaction.atomic():
        course = _lock_course(activity.course)
        _refuse_removal_once_published(course, "学习活动")
        locked = Activity.objects.filter(pk=activity.pk).first()
        if locked is None:
            return
        files = [locked.media_file.name or "", locked.viewer_file.name or ""]
        hls_root = media.media_root() / "hls" / str(locked.pk)
        audit_record(
            action="activity.deleted",
            actor=acting_user,
            request=request,
            target=locked,
            detail={"kind": locked.kind, "title": locked.title},
        )
        locked.delete()
        _renumber(list(Activity.objects.filter(chapter_id=activity.chapter_id).order_by("position", "id")))

        def remove() -> None:
            for name in files:
                media.remove_file(name)
            media.remove_tree(hls_root)

        transaction.on_commit(remove)


def activity_move(
    *,
    acting_user: User,
    activity: Activity,
    direction: str = "",
    chapter: Chapter | None = None,
    request: HttpRequest | None = None,
) -> Activity:
    """Move an activity one place up or down in its chapter, or to the end of another chapter of
    the same course."""
    _check_editable(acting_user, activity.course)
    with transaction.atomic():
        course = _lock_course(activity.course)
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        source_chapter_id = locked.chapter_id
        if chapter is not None and chapter.pk != source_chapter_id:
            if chapter.course_id != course.pk:
                raise NotFound()
            locked.chapter = chapter
            locked.position = Activity.objects.filter(chapter=chapter).count()
            locked.save(update_fields=["chapter", "position", "updated_at"])
            _renumber(list(Activity.objects.filter(chapter_id=source_chapter_id).order_by("position", "id")))
            detail: dict[str, Any] = {"chapter": chapter.pk}
        else:
            rows = list(Activity.objects.filter(chapter_id=source_chapter_id).order_by("position", "id"))
            _renumber(_moved(rows, locked, direction))
            detail = {"direction": direction}
        audit_record(action="activity.moved", actor=acting_user, request=request, target=locked, detail=detail)
    locked.refresh_from_db()
    return locked


def activity_media_process(*, activity_id: int) -> None:
    """The worker's part: transcode a video, or convert an Office document. Idempotent."""
    activity = Activity.objects.filter(pk=activity_id).only("kind").first()
    if activity is None:
        return
    if activity.kind in PLAYABLE_KINDS:
        media.transcode_activity(activity_id)
    elif activity.kind == ActivityKind.DOCUMENT:
        media.convert_document(activity_id)


# --- Checkpoints ---------------------------------------------------------------------------------
def _checkpoint_fields(
    activity: Activity, *, at_seconds: int, question: str, choices: Sequence[str], answer: int
) -> dict[str, Any]:
    if activity.kind not in PLAYABLE_KINDS:
        raise ValidationFailed("只有视频和微课可以添加视频内问题。", code="not_a_video")
    duration = activity.duration_seconds
    if not duration:
        raise ValidationFailed("视频上传并读出时长后才能添加视频内问题。", code="no_duration")
    if not isinstance(at_seconds, int) or not 0 <= at_seconds < duration:
        raise ValidationFailed(f"出现时间应在 0 到 {duration - 1} 秒之间（视频时长 {duration} 秒）。", code="bad_time")
    question = _text(question, label="问题", max_length=500)
    cleaned = [c.strip() for c in choices if c and c.strip()]
    if not MIN_CHOICES <= len(cleaned) <= MAX_CHOICES:
        raise ValidationFailed(f"选项应有 {MIN_CHOICES} 到 {MAX_CHOICES} 个。", code="bad_choices")
    if any(len(c) > 200 for c in cleaned):
        raise ValidationFailed("每个选项不能超过 200 个字。", code="bad_choices")
    if len(set(cleaned)) != len(cleaned):
        raise ValidationFailed("选项不能重复。", code="bad_choices")
    if not isinstance(answer, int) or not 0 <= answer < len(cleaned):
        raise ValidationFailed("请选择一个正确选项。", code="bad_answer")
    return {"at_seconds": at_seconds, "question": question, "choices": cleaned, "answer": answer}


def checkpoint_create(
    *,
    acting_user: User,
    activity: Activity,
    at_seconds: int,
    question: str,
    choices: Sequence[str],
    answer: int,
    request: HttpRequest | None = None,
) -> Checkpoint:
    """A question shown at `at_seconds` of a video; `answer` is the index of the right choice."""
    _check_editable(acting_user, activity.course)
    fields = _checkpoint_fields(activity, at_seconds=at_seconds, question=question, choices=choices, answer=answer)
    with transaction.atomic():
        checkpoint = Checkpoint.objects.create(activity=activity, **fields)
        audit_record(
            action="checkpoint.created",
            actor=acting_user,
            request=request,
            target=checkpoint,
            detail={"activity": activity.pk, "at_seconds": at_seconds},
        )
    return checkpoint


def checkpoint_update(
    *,
    acting_user: User,
    checkpoint: Checkpoint,
    at_seconds: int,
    question: str,
    choices: Sequence[str],
    answer: int,
    request: HttpRequest | None = None,
) -> Checkpoint:
    activity = checkpoint.activity
    _check_editable(acting_user, activity.course)
    fields = _checkpoint_fields(activity, at_seconds=at_seconds, question=question, choices=choices, answer=answer)
    with transaction.atomic():
        Checkpoint.objects.filter(pk=checkpoint.pk).update(**fields)
        for name, value in fields.items():
            setattr(checkpoint, name, value)
        audit_record(
            action="checkpoint.updated",
            actor=acting_user,
            request=request,
            target=checkpoint,
            detail={"activity": activity.pk, "at_seconds": at_seconds},
        )
    return checkpoint


def checkpoint_delete(*, acting_user: User, checkpoint: Checkpoint, request: HttpRequest | None = None) -> None:
    _check_editable(acting_user, checkpoint.activity.course)
    with transaction.atomic():
        audit_record(
            action="checkpoint.deleted",
            actor=acting_user,
            request=request,
            target=checkpoint,
            detail={"activity": checkpoint.activity_id, "question": checkpoint.question},
        )
        Checkpoint.objects.filter(pk=checkpoint.pk).delete()
