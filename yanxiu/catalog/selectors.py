"""Reads about courses used by the authoring pages and by the learner's pages.

Other apps get a video's playlist and a document's viewer file from here, not from the fields.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from yanxiu.catalog.models import PLAYABLE_KINDS, Activity, ActivityKind, Chapter, Course


def playlist_url(activity: Activity) -> str | None:
    """The HLS playlist URL (for hls.js) of a video or micro-lesson, or None before its first
    transcode has succeeded. While a re-upload is processing, this is still the previous one."""
    if activity.kind not in PLAYABLE_KINDS or not activity.hls_playlist:
        return None
    return f"{settings.MEDIA_URL}{activity.hls_playlist}"


def viewer_url(activity: Activity) -> str | None:
    """The URL of a document's browser-viewable file (a PDF or an image), or None when there is
    none (an Office file without LibreOffice on the server: offer `download_url` instead)."""
    if activity.kind != ActivityKind.DOCUMENT or not activity.viewer_file:
        return None
    return activity.viewer_file.url


def viewer_kind(activity: Activity) -> str:
    """ "pdf", "image" or "" for a document's viewer file: a PDF goes in an <iframe>, an image in <img>."""
    name = activity.viewer_file.name if activity.viewer_file else ""
    if not name:
        return ""
    return "pdf" if name.lower().endswith(".pdf") else "image"


def download_url(activity: Activity) -> str | None:
    """Download of a document's original (signed-in users only; never a public media URL)."""
    if activity.kind != ActivityKind.DOCUMENT or not activity.media_file:
        return None
    return reverse("catalog:activity_download", kwargs={"activity_id": activity.pk})


def course_structure(course: Course) -> list[Chapter]:
    """The course's chapters in order, each with `activities` in order (two queries)."""
    activities = Activity.objects.order_by("position", "id").prefetch_related("checkpoints")
    return list(
        course.chapters.order_by("position", "id").prefetch_related(Prefetch("activities", queryset=activities))
    )


def courses_for_author(courses: QuerySet[Course]) -> QuerySet[Course]:
    return courses.select_related("created_by").order_by("-updated_at", "code")
