"""Yanxiu settings: one file, every value from the environment with a safe embedded default.

The embedded default is a single-machine install (SQLite under var/, a generated secret key).
Production sets DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=0 (see docs/operations.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


VAR_DIR = Path(env_str("YANXIU_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into var/ (never in the repo)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        # Written whole to a private temporary file, then linked into place: the link fails if
        # another process got there first, and no process ever reads a half-written key.
        draft = VAR_DIR / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "ninja",
    "yanxiu.core",
    "yanxiu.accounts",
    "yanxiu.org",
    "yanxiu.catalog",
    "yanxiu.training",
    "yanxiu.learning",
    "yanxiu.workbench",
    "yanxiu.api",
]

MIDDLEWARE = [
    # First: the video player's heartbeat skips the rest (yanxiu/learning/middleware.py).
    "yanxiu.learning.middleware.HeartbeatShortcutMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "yanxiu.accounts.middleware.LanguageMiddleware",
    "yanxiu.accounts.middleware.SessionExpiryMiddleware",
    "yanxiu.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "yanxiu.core.middleware.ApplicationErrorMiddleware",
]

ROOT_URLCONF = "yanxiu.urls"
WSGI_APPLICATION = "yanxiu.wsgi.application"
ASGI_APPLICATION = "yanxiu.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "yanxiu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yanxiu.workbench.context_processors.navigation_items",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'yanxiu.sqlite3'}")
# Persistent connections stay off by default: granian's WSGI workers run requests on many threads,
# each of which would keep its own connection.
# On PostgreSQL, DB_POOL=1 uses psycopg's connection pool instead (docs/operations.md).
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", False):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN", 2),
        "max_size": env_int("DB_POOL_MAX", 20),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Prepared statements: psycopg prepares a query after its fifth run on a connection, so
    # PostgreSQL stops re-planning the same queries on every request (planning the heartbeat's
    # join cost ten times its execution; benchmarks/RESULTS.md). They need server-side binding.
    # Set DB_PREPARE_THRESHOLD=0 behind a transaction-pooling pgbouncer.
    prepare_threshold = env_int("DB_PREPARE_THRESHOLD", 5)
    if prepare_threshold > 0:
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": prepare_threshold}
        )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; the busy timeout makes a second writer wait
    # instead of failing at once; IMMEDIATE transactions take the write lock up front so a
    # read-then-write transaction cannot deadlock against another.
    busy_seconds = env_int("SQLITE_BUSY_TIMEOUT", 20)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": busy_seconds,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            f"PRAGMA busy_timeout={busy_seconds * 1000};"
        ),
    }
    # Tests use a file too (not shared-cache memory, where concurrent writers fail at once instead
    # of waiting), so concurrency tests see what production sees. One file per test process.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["yanxiu.accounts.backends.TeacherNumberOrMobileBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Lockout: this many failures within the window lock the username and, separately, the IP.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
# Per IP: a school behind one NAT address shares it, so a network can raise this alone.
LOGIN_IP_FAILURE_LIMIT = env_int("LOGIN_IP_FAILURE_LIMIT", LOGIN_FAILURE_LIMIT)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 30)
# Sessions: idle timeout and absolute lifetime, both enforced by SessionExpiryMiddleware.
SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30)
SESSION_ABSOLUTE_TIMEOUT_HOURS = env_int("SESSION_ABSOLUTE_TIMEOUT_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_HOURS * 3600
# Database sessions, read with one plain query (yanxiu/accounts/sessions.py).
SESSION_ENGINE = "yanxiu.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Password policy (docs/decisions/0004-password-policy.md): length and a blocklist by default;
# composition rules and expiry exist but are off by default, as NIST SP 800-63B advises.
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 8)
PASSWORD_REQUIRE_CLASSES = env_int("PASSWORD_REQUIRE_CLASSES", 0)  # 0 = off; 2-4 character classes
PASSWORD_EXPIRY_DAYS = env_int("PASSWORD_EXPIRY_DAYS", 0)  # 0 = never expires
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "yanxiu.accounts.password_validation.BlocklistValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["username", "real_name", "mobile"]},
    },
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "yanxiu.accounts.password_validation.CompositionValidator"},
]

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind nginx with TLS (docs/operations.md) these are switched on by the environment.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies stand in front: the client IP is taken that many hops from the right.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end packages come from npm at set-up (package.json) and are served from here.
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/hls", NODE_MODULES / "hls.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names need `collectstatic` (run by make setup); DEBUG serves sources.
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Seconds each web process keeps a user's menu (which items they get); roles granted or removed
# show in the menu within this time. Permissions themselves are always checked afresh.
NAVIGATION_CACHE_SECONDS = env_int("NAVIGATION_CACHE_SECONDS", 30)
# Seconds a web process trusts a course outline it has rendered before checking the course's
# version again (authoring changes reach learners within this time).
LEARNING_OUTLINE_RECHECK_SECONDS = env_int("LEARNING_OUTLINE_RECHECK_SECONDS", 2)
# How often the video player reports what was watched (seconds); queued while offline.
LEARNING_HEARTBEAT_SECONDS = env_int("LEARNING_HEARTBEAT_SECONDS", 10)
# Seconds a page, document or link must be open before it can be marked complete (an author may
# set another per activity); measured on the server.
LEARNING_MIN_VIEW_SECONDS = env_int("LEARNING_MIN_VIEW_SECONDS", 10)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
ROSTER_MAX_UPLOAD_BYTES = env_int("ROSTER_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
ROSTER_MAX_ROWS = env_int("ROSTER_MAX_ROWS", 300_000)
# Above this many rows a roster import runs as a background task with a progress bar.
ROSTER_BACKGROUND_ROWS = env_int("ROSTER_BACKGROUND_ROWS", 2_000)

# Course media (docs/decisions/0010-media-pipeline.md). Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE
# stream to temporary files; these limits are checked before anything is kept.
CATALOG_MAX_VIDEO_BYTES = env_int("CATALOG_MAX_VIDEO_BYTES", 2 * 1024**3)
CATALOG_MAX_DOCUMENT_BYTES = env_int("CATALOG_MAX_DOCUMENT_BYTES", 100 * 1024**2)
CATALOG_MAX_COVER_BYTES = env_int("CATALOG_MAX_COVER_BYTES", 5 * 1024**2)
FFMPEG_BINARY = env_str("FFMPEG_BINARY", "ffmpeg")
FFPROBE_BINARY = env_str("FFPROBE_BINARY", "ffprobe")
# Seconds one transcode or document conversion may take before it is reported as failed.
CATALOG_PROCESS_TIMEOUT = env_int("CATALOG_PROCESS_TIMEOUT", 4 * 3600)
# Django serves /media/hls/, /media/viewer/ and /media/covers/ itself (make run); behind nginx,
# which serves them, set SERVE_MEDIA=0.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)

# --- Background tasks (docs/decisions/0002-task-backend.md) -----------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Caches ---------------------------------------------------------------------------------
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith("redis://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30)
# The platform's IRI in exported xAPI statements: the actors' account homePage, activity ids.
XAPI_HOMEPAGE = env_str("XAPI_HOMEPAGE", "https://yanxiu.invalid")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
