"""Background tasks of the catalog app. Each only calls an action (enqueued on commit by the action)."""

from __future__ import annotations

from django.tasks import task

from yanxiu.catalog import actions


@task()
def activity_media_process_task(activity_id: int) -> None:
    actions.activity_media_process(activity_id=activity_id)
