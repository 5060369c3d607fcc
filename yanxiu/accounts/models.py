"""Accounts: the custom User (from the first migration), login failures for lockout, API tokens."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from yanxiu.core.models import TimeStampedModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: object) -> User:
        if not username:
            raise ValueError("用户名不能为空")
        user = self.model(username=username, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("must_change_password", False)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. A teacher's username is their 教师编号; they may also sign in by mobile."""

    username = models.CharField("用户名（教师编号）", max_length=64, unique=True)
    real_name = models.CharField("姓名", max_length=64, blank=True)
    mobile = models.CharField("手机号", max_length=20, null=True, blank=True, unique=True)
    email = models.EmailField("电子邮箱", blank=True)
    is_active = models.BooleanField("可登录", default=True)
    is_staff = models.BooleanField("可进入后台", default=False)
    date_joined = models.DateTimeField("创建时间", default=timezone.now)
    must_change_password = models.BooleanField("首次登录须改密码", default=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    language = models.CharField("界面语言", max_length=10, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.real_name}（{self.username}）" if self.real_name else self.username

    @property
    def display_name(self) -> str:
        return self.real_name or self.username


class LoginFailure(models.Model):
    """One failed sign-in. Lockout counts recent rows per username and per IP."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "登录失败记录"
        verbose_name_plural = "登录失败记录"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.ip or ''}"


class ApiToken(TimeStampedModel):
    """A bearer token for the mobile app. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("名称", max_length=64, default="mobile")
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField("过期时间")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
