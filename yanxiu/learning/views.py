"""The learner's pages: 学习中心, the course page, activities, and the player's JSON endpoints."""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from yanxiu.catalog import selectors as catalog_selectors
from yanxiu.catalog.models import PLAYABLE_KINDS, ActivityKind, Checkpoint
from yanxiu.core.errors import ApplicationError, NotFound, ValidationFailed
from yanxiu.core.http import AuthedRequest
from yanxiu.learning import actions, selectors
from yanxiu.learning.permissions import access_activity, access_enrolment
from yanxiu.training.permissions import access_period, require_project_admin

POPUP_SHOWN = "_yanxiu_learning_popup"
MAX_HEARTBEAT_BODY = 256 * 1024


def _json_error(error: ApplicationError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.status)


@login_required
@require_GET
def center(request: AuthedRequest) -> HttpResponse:
    """学习中心. At the first visit of a session (right after login) a pop-up lists the courses
    open now with their progress."""
    data = selectors.learning_center(request.user)
    show_popup = bool(data.current) and not request.session.get(POPUP_SHOWN)
    if show_popup:
        request.session[POPUP_SHOWN] = True
    return render(request, "learning/center.html", {"center": data, "show_popup": show_popup})


@login_required
@require_GET
def course(request: AuthedRequest, enrolment_id: int) -> HttpResponse:
    enrolment = access_enrolment(request.user, enrolment_id)
    base_url = reverse("learning:activity", args=[enrolment.pk, 0]).removesuffix("0/")
    page = selectors.course_page(enrolment)
    try:
        actions.enrolment_check_open(enrolment)
        closed_message = ""
    except ValidationFailed as error:
        closed_message = error.message
    return render(
        request, "learning/course.html", {"page": page, "closed_message": closed_message, "base_url": base_url}
    )


@login_required
@require_GET
def activity(request: AuthedRequest, enrolment_id: int, activity_id: int) -> HttpResponse:
    enrolment = access_enrolment(request.user, enrolment_id)
    item = access_activity(enrolment, activity_id)
    progress = actions.activity_open(acting_user=request.user, enrolment=enrolment, activity=item)
    try:
        actions.enrolment_check_open(enrolment)
        closed_message = ""
    except ValidationFailed as error:
        closed_message = error.message
    context: dict[str, Any] = {
        "enrolment": enrolment,
        "activity": item,
        "progress": progress,
        "closed_message": closed_message,
        "playable": item.kind in PLAYABLE_KINDS,
    }
    if item.kind in PLAYABLE_KINDS:
        checkpoints = [
            {"id": c.pk, "at": c.at_seconds, "question": c.question, "choices": c.choices}
            for c in item.checkpoints.all()
        ]
        context["player"] = {
            "playlist": catalog_selectors.playlist_url(item) or "",
            "start": reverse("learning:play", args=[enrolment.pk, item.pk]),
            "heartbeat": reverse("learning:heartbeat"),
            "checkpoint": reverse("learning:checkpoint", args=[enrolment.pk, item.pk, 0]).removesuffix("0/"),
            "interval": settings.LEARNING_HEARTBEAT_SECONDS,
            "checkpoints": checkpoints,
            "watch_ratio": str(actions.watch_ratio_of(item)),
        }
    if item.kind in actions.OPEN_KINDS and progress is not None and not closed_message:
        elapsed = (timezone.now() - progress.started_at).total_seconds()
        context["wait_seconds"] = max(0, math.ceil(actions.min_view_seconds(item) - elapsed))
        context["complete_url"] = reverse("learning:complete", args=[enrolment.pk, item.pk])
    if item.kind == ActivityKind.DOCUMENT:
        context["viewer_url"] = catalog_selectors.viewer_url(item) or ""
        context["viewer_is_pdf"] = catalog_selectors.viewer_kind(item) == "pdf"
        context["download_url"] = catalog_selectors.download_url(item) or ""
    return render(request, "learning/activity.html", context)


@login_required
@require_POST
def complete(request: AuthedRequest, enrolment_id: int, activity_id: int) -> HttpResponse:
    """Mark a page, document or link complete (after its minimum time open). JSON for the page's
    script; a redirect back (or, for a link with ?go=1, to the link) without JavaScript."""
    enrolment = access_enrolment(request.user, enrolment_id)
    item = access_activity(enrolment, activity_id)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    try:
        progress = actions.activity_complete(acting_user=request.user, enrolment=enrolment, activity=item)
    except ApplicationError as error:
        if wants_json:
            return _json_error(error)
        messages.error(request, error.message)
        return redirect("learning:activity", enrolment_id=enrolment.pk, activity_id=item.pk)
    if wants_json:
        return JsonResponse({"completed": progress.state == "completed", "progress": enrolment.progress})
    if item.kind == ActivityKind.LINK and request.GET.get("go") and item.url:
        return redirect(item.url)  # the activity's own link, never a parameter
    return redirect("learning:activity", enrolment_id=enrolment.pk, activity_id=item.pk)


@login_required
@require_POST
def play(request: AuthedRequest, enrolment_id: int, activity_id: int) -> JsonResponse:
    """Start a playback (JSON for the player). Every other playback of the learner stops counting."""
    enrolment = access_enrolment(request.user, enrolment_id)
    item = access_activity(enrolment, activity_id)
    try:
        data = actions.playback_start(acting_user=request.user, enrolment=enrolment, activity=item)
    except ApplicationError as error:
        return _json_error(error)
    return JsonResponse(data)


@login_required
@require_POST
def checkpoint(request: AuthedRequest, enrolment_id: int, activity_id: int, checkpoint_id: int) -> JsonResponse:
    enrolment = access_enrolment(request.user, enrolment_id)
    item = access_activity(enrolment, activity_id)
    question = Checkpoint.objects.filter(pk=checkpoint_id, activity=item).select_related("activity").first()
    if question is None:
        return _json_error(NotFound())
    try:
        choice = int(request.POST.get("choice", ""))
    except ValueError:
        return _json_error(ValidationFailed("请选择一个选项。", code="bad_choice"))
    try:
        data = actions.checkpoint_answer(
            acting_user=request.user, enrolment=enrolment, checkpoint=question, choice=choice
        )
    except ApplicationError as error:
        return _json_error(error)
    return JsonResponse(data)


# The playback id (random, issued to the signed-in learner by `play`) is the credential, so the
# heartbeat needs no session: it works from navigator.sendBeacon when a page is closed, and it is
# cheap enough for every learner's player to call every few seconds.
@csrf_exempt
@require_POST
def heartbeat(request: HttpRequest) -> JsonResponse:
    if len(request.body) > MAX_HEARTBEAT_BODY:
        return _json_error(ValidationFailed("心跳数据过大。", code="bad_heartbeat"))
    try:
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError
        beats = actions.beats_parse(body.get("beats"))
        data = actions.heartbeats_apply(playback_id=str(body.get("playback", "")), beats=beats)
    except ValueError:
        return _json_error(ValidationFailed("心跳数据格式不正确。", code="bad_heartbeat"))
    except ApplicationError as error:
        return _json_error(error)
    return JsonResponse(data)


# --- Administrators: recompute a period after a rule change --------------------------------------
@login_required
def recompute(request: AuthedRequest, period_id: int) -> HttpResponse:
    """GET: how many results would change under the offerings' current rules (nothing written).
    POST: apply, with the preview's counts shown again as the result."""
    require_project_admin(request.user)
    period = access_period(request.user, period_id)
    if request.method == "POST":
        counts = actions.period_recompute(acting_user=request.user, period=period, apply=True, request=request)
        messages.success(
            request,
            f"已重新计算：新通过 {counts['newly_passed']} 人，取消通过 {counts['no_longer_passed']} 人。",
        )
        return redirect("learning:recompute", period_id=period.pk)
    counts = actions.period_recompute(acting_user=request.user, period=period, apply=False)
    return render(request, "learning/recompute.html", {"period": period, "counts": counts})
