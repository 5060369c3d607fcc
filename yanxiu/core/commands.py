"""Base for operator commands: the last line printed is a one-line JSON summary, so scripts can
read it; failures go to stderr with a non-zero exit."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yanxiu.core.errors import ApplicationError, ValidationFailed


def read_input_file(path: Path) -> bytes:
    """The bytes of a file named on the command line, or a Chinese error naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(f"无法读取文件 {path}：{exc.strerror}", code="file_unreadable") from None


class OperatorCommand(BaseCommand):
    def run(self, **options: Any) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = self.run(**options)
        except ApplicationError as exc:
            # Django prints the CommandError's message on stderr; the JSON line stays last on stdout.
            self.stdout.write(json.dumps({"error": exc.code, "message": exc.message}, ensure_ascii=False))
            raise CommandError(exc.message, returncode=1) from exc
        errors = summary.get("errors", 0)
        self.stdout.write(json.dumps(summary, ensure_ascii=False, default=str))
        if errors:
            sys.stdout.flush()
            raise CommandError(f"{errors} 行有错误，见上方说明。", returncode=1)
