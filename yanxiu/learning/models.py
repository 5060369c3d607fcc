"""Learning: each learner's progress per activity, playbacks (one counts at a time) and the
append-only store of learning events shaped as xAPI statements."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yanxiu.catalog.models import Activity
from yanxiu.training.models import Enrolment


class ProgressState(models.TextChoices):
    NOT_STARTED = "not_started", _("未开始")
    IN_PROGRESS = "in_progress", _("学习中")
    COMPLETED = "completed", _("已完成")


class ActivityProgress(models.Model):
    """What one enrolled learner has done of one activity. For videos, `watched` is the union of
    the media seconds actually watched as [[start, end], ...] and `position` is where to resume."""

    enrolment = models.ForeignKey(
        Enrolment, verbose_name="选课", on_delete=models.CASCADE, related_name="progress_rows"
    )
    activity = models.ForeignKey(Activity, verbose_name="学习活动", on_delete=models.CASCADE, related_name="+")
    state = models.CharField("状态", max_length=12, choices=ProgressState.choices, default=ProgressState.NOT_STARTED)
    watched = models.JSONField("已观看区间", default=list, blank=True)
    seconds_watched = models.FloatField("已观看秒数", default=0)
    position = models.FloatField("续播位置（秒）", default=0)
    checkpoints_passed = models.JSONField("已答对的视频内问题", default=list, blank=True)
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "学习进度"
        verbose_name_plural = "学习进度"
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "activity"], name="progress_enrolment_activity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id}/{self.activity_id}: {self.state}"


class Playback(models.Model):
    """One playing window. Starting a playback supersedes the learner's others: only one counts at
    a time (seed 004: teachers opened many windows to rush through). Heartbeats carry the
    playback's id and a client sequence number, so a retried or reordered batch counts once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField("开始时间")
    last_beat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    superseded_at = models.DateTimeField("被取代时间", null=True, blank=True)
    # The highest sequence number applied and a window of the most recent ones (anything older than
    # the window counts as applied), the media seconds credited so far (never more than the wall
    # time the playback has existed allows) and the events stored (bounded the same way).
    seq_high = models.IntegerField(default=-1)
    seqs = models.JSONField(default=list, blank=True)
    credited_seconds = models.FloatField(default=0)
    events = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "播放"
        verbose_name_plural = "播放"
        indexes = [models.Index(fields=["user", "superseded_at"], name="playback_user_live_idx")]

    def __str__(self) -> str:
        return str(self.id)


class Statement(models.Model):
    """A learning event as an xAPI statement (actor, verb, object, result, context, timestamp).

    Append-only. On PostgreSQL the table is range-partitioned by month on `stored` (see the
    migration and docs/decisions), so hundreds of millions of rows stay cheap to write, query by
    time and archive by dropping old partitions.
    """

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    # No foreign key constraint (a partitioned table of hundreds of millions of rows, and a user is
    # never deleted while statements name them) and no index of its own: (actor, stored) serves.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    verb = models.CharField(max_length=32)
    object_type = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    result = models.JSONField(null=True, blank=True)
    context = models.JSONField(null=True, blank=True)
    timestamp = models.DateTimeField()  # when it happened (client time for queued heartbeats)
    stored = models.DateTimeField()  # when the platform stored it

    class Meta:
        verbose_name = "学习事件"
        verbose_name_plural = "学习事件"
        indexes = [models.Index(fields=["actor", "stored"], name="statement_actor_stored_idx")]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.verb} {self.object_type}:{self.object_id}"
