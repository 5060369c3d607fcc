"""`yanxiu check --deploy` passes with the production settings documented in docs/operations.md."""

import os
import subprocess
import sys
from pathlib import Path


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "YANXIU_VAR_DIR": str(tmp_path),
        "DEBUG": "0",
        "SECRET_KEY": "k" * 20 + "-production-secret-from-the-environment-" + "z" * 20,
        "ALLOWED_HOSTS": "yanxiu.example.gov.cn",
        "SECURE_SSL_REDIRECT": "1",
        "SESSION_COOKIE_SECURE": "1",
        "CSRF_COOKIE_SECURE": "1",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
        "SECURE_HSTS_PRELOAD": "1",
    }
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "yanxiu", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_generated_once_into_var(tmp_path: Path) -> None:
    env = {**os.environ, "YANXIU_VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    run = [
        sys.executable,
        "-c",
        f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='yanxiu.settings'; django.setup(); {code}",
    ]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout.strip()
    second = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert first == second and len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
