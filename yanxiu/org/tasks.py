"""Background tasks of the org app. Each only calls an action (enqueued on commit by the action)."""

from __future__ import annotations

from django.tasks import task

from yanxiu.org import actions


@task()
def roster_import_check_task(job_id: int) -> None:
    actions.roster_import_check(job_id=job_id)


@task()
def roster_import_apply_task(job_id: int) -> None:
    actions.roster_import_apply(job_id=job_id)
