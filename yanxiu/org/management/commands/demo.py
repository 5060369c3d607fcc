from __future__ import annotations

from typing import Any

from yanxiu.core.commands import OperatorCommand
from yanxiu.org.demo import DEMO_PASSWORD, demo_load, demo_summary_line
from yanxiu.org.models import Role


class Command(OperatorCommand):
    help = "载入演示数据（虚构的广州式城市、学校、教师和每个角色一个账号），可重复运行。"

    def run(self, **options: Any) -> dict[str, Any]:
        created, accounts = demo_load()
        self.stdout.write("演示账号（登录名 / 密码 / 角色 / 范围）：")
        width = max(len(a.username) for a in accounts)
        for account in accounts:
            self.stdout.write(
                f"  {account.username.ljust(width)}  {DEMO_PASSWORD}  {Role(account.role).label}  {account.scope}"
            )
        self.stdout.write("登录地址：http://127.0.0.1:8000/accounts/login/")
        return demo_summary_line(created)
