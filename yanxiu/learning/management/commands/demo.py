from __future__ import annotations

from typing import Any

from yanxiu.core.commands import OperatorCommand
from yanxiu.learning.demo import demo_training_load
from yanxiu.org.demo import DEMO_PASSWORD, demo_load, demo_summary_line
from yanxiu.org.models import Role


class Command(OperatorCommand):
    help = (
        "载入演示数据（虚构的广州式城市、学校、教师、每个角色一个账号，以及培训项目“能力提升工程”"
        "的 1601、1602 期、课程与选课），可重复运行。"
    )

    def run(self, **options: Any) -> dict[str, Any]:
        created, accounts = demo_load()
        learners = [a.username for a in accounts if a.role == Role.LEARNER]
        created |= demo_training_load(learners)
        self.stdout.write("演示账号（登录名 / 密码 / 角色 / 范围）：")
        width = max(len(a.username) for a in accounts)
        for account in accounts:
            self.stdout.write(
                f"  {account.username.ljust(width)}  {DEMO_PASSWORD}  {Role(account.role).label}  {account.scope}"
            )
        if learners:
            self.stdout.write(f"学员 {learners[0]} 已在 1602 期学习中；其 1601 期有一门未通过的课程可重修。")
        self.stdout.write("登录地址：http://127.0.0.1:8000/accounts/login/")
        return demo_summary_line(created)
