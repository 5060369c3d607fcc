"""Base model and the append-only audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """Who did what, when and from where. Rows are only ever inserted.

    The model refuses updates and deletes, and on PostgreSQL a trigger (migration 0002) refuses
    them in the database itself, so not even a raw query or a bulk update rewrites history.
    """

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    # PROTECT: an account with history is deactivated, never deleted (the log cannot be rewritten
    # to drop the reference either: see migration 0002's triggers).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The login name at the time, kept even when the account is later renamed or removed.
    actor_label = models.CharField("操作人账号", max_length=150, blank=True)
    action = models.CharField("操作", max_length=64, db_index=True)
    target_type = models.CharField("对象类型", max_length=64, blank=True)
    target_id = models.CharField("对象编号", max_length=64, blank=True)
    ip = models.GenericIPAddressField("来源 IP", null=True, blank=True)
    user_agent = models.CharField("客户端", max_length=300, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("审计日志只能新增，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("审计日志不能删除。")
