"""Shared test fixtures: a small region tree, factories, signed-in clients and the browser."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run in
# such a thread unless told this is intended (the live server runs in its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PASSWORD = "Correct-Horse-42"  # noqa: S105 - test accounts only

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path: Any, request: pytest.FixtureRequest) -> None:
    # Argon2 is the production hasher (tested on its own); tests hash with MD5 for speed.
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    # Process-local caches with a lifetime would carry state from test to test.
    settings.NAVIGATION_CACHE_SECONDS = 0
    settings.LEARNING_OUTLINE_RECHECK_SECONDS = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # Tests read static files from their sources; the manifest needs a collectstatic run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def regions(db: Any) -> dict[str, Any]:
    from yanxiu.org.tests.factories import make_regions

    return make_regions()


@pytest.fixture
def client_for() -> Callable[[Any], Client]:
    """A test client signed in as the given user (session set up as the login view does)."""

    def make(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}
