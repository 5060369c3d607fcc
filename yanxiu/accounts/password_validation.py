"""Password rules beyond Django's: a blocklist and optional composition (off by default)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

# Passwords seen again and again on Chinese sites, and the platform's own words.
DEFAULT_BLOCKLIST = frozenset(
    {
        "12345678",
        "123456789",
        "1234567890",
        "87654321",
        "11111111",
        "88888888",
        "66666666",
        "00000000",
        "password",
        "password1",
        "passw0rd",
        "qwertyui",
        "qwerty123",
        "abc12345",
        "abcd1234",
        "a1234567",
        "1qaz2wsx",
        "iloveyou",
        "woaini1314",
        "5201314520",
        "aa123456",
        "yanxiu123",
        "yanxiu2026",
        "teacher123",
        "jiaoshi123",
        "admin123",
        "admin1234",
        "changeme",
    }
)


class BlocklistValidator:
    def __init__(self, extra: list[str] | None = None):
        self.blocked = DEFAULT_BLOCKLIST | {p.lower() for p in (extra or getattr(settings, "PASSWORD_BLOCKLIST", []))}

    def validate(self, password: str, user: Any = None) -> None:
        if password.lower() in self.blocked:
            raise ValidationError("该密码过于常见，请换一个。", code="password_blocked")

    def get_help_text(self) -> str:
        return "不能使用常见密码。"


class CompositionValidator:
    """Requires characters from N of: lower case, upper case, digits, symbols. 0 (default) = off."""

    def validate(self, password: str, user: Any = None) -> None:
        required = settings.PASSWORD_REQUIRE_CLASSES
        if not required:
            return
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < required:
            raise ValidationError(
                f"密码须包含小写字母、大写字母、数字、符号中的至少 {required} 类。", code="password_composition"
            )

    def get_help_text(self) -> str:
        required = settings.PASSWORD_REQUIRE_CLASSES
        return f"须包含至少 {required} 类字符。" if required else ""
