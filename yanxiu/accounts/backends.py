"""Sign-in by 教师编号 (the username) or by mobile number, with a password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from yanxiu.accounts.models import User


class TeacherNumberOrMobileBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if not username or not password:
            return None
        login = username.strip()
        user = User.objects.filter(Q(username__iexact=login) | Q(mobile=login)).order_by("id").first()
        if user is None:
            # Hash anyway so that timing does not reveal which usernames exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in user of each request, loaded with whether a teacher record exists, so
        pages need no second query to know that the user is a learner. Plain SQL: it runs on
        every request, and the ORM took longer to build this query than the database to run it.
        (The teacher table is named, not imported: accounts sits below org.)"""
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        rows = User.objects.raw(_USER_WITH_TEACHER_FLAG, [pk])
        user = next(iter(rows), None)
        return user if user is not None and self.user_can_authenticate(user) else None


_USER_WITH_TEACHER_FLAG = (
    "SELECT u.*, (t.id IS NOT NULL) AS yanxiu_is_teacher FROM accounts_user u"
    " LEFT JOIN org_teacher t ON t.user_id = u.id WHERE u.id = %s"
)
