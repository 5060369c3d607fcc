"""Benchmarks for the foundation issue (roster import, teacher list page, anonymous login page)
and the learning loop (issue 3: heartbeat, course page, 学习中心).

    .venv/bin/python benchmarks/run.py                       # everything, SQLite and PostgreSQL
    .venv/bin/python benchmarks/run.py --only list --db sqlite --teachers 20000   # a quick run
    .venv/bin/python benchmarks/run.py --only login --alternatives yes
    .venv/bin/python benchmarks/run.py --only learning --db postgres   # issue 3, ~4 min

Targets (2-core machine):
  import  `yanxiu import-teachers FILE --create-schools` of 140,080 teachers in <= 60 s (fresh
          database, migrate + load-regions untimed); the second run of the same file is timed too
          and must report every row unchanged.
  list    /org/teachers/ for a district administrator of a 15,000-teacher district: median
          <= 150 ms with a bounded number of queries (page 1, page 2, a surname search, a subject
          filter, and the last page), DEBUG=0 and DEBUG=1.
  login   GET /accounts/login/ >= 1,000 requests/s with `wrk -t2 -c8 -d15s` on 127.0.0.1 against
          the project's server as `make run` starts it, from .venv:
          `granian --interface wsgi --host 127.0.0.1 --port PORT --workers 2 --blocking-threads 8
          yanxiu.wsgi:application` (DEBUG=0, after collectstatic into the throwaway var dir),
          writing nothing to the database. The run warns when the Makefile's command differs.

          Other servers can be measured for comparison (uvicorn, uvicorn+uvloop+httptools,
          granian-asgi, gunicorn-sync, gunicorn-gthread). They are not project dependencies and
          run from a throwaway venv in the temporary directory, never .venv:
          --alternatives yes measures them, auto (the default) only when the project's server
          misses the target, no never.
  learning (issue 3) the project's server as for login, on data from bench_learning.py (1,000
          learners, a 307-activity course shaped like Moodle's medium test course, a video
          course, live playbacks, sessions), `wrk -t2 -c64 --latency -s learning.lua`:
            heartbeat  POST /learn/heartbeat >= 1,000 req/s, p99 <= 100 ms, and >= 40 % of
                       GET /healthz (one SELECT 1) through the same server in the same run
                       (measured before and after the heartbeats; their mean is the reference)
            course     GET /learn/e/<id>/ of the 307-activity course, 256 learners rotated,
                       >= 250 req/s, p99 <= 200 ms; queries counted on 307 vs 3 activities
            center     GET /learn/ of learners with 20 enrolments, 100 learners rotated,
                       >= 250 req/s, p99 <= 200 ms; queries counted with 1 vs 20 enrolments
          Every response must be 200 (learning.lua counts 3xx too). On PostgreSQL the server
          runs with DB_POOL=1, the production setting (deploy/yanxiu.env.example); --db-pool 0
          or both also measures `make run`'s default (a connection per request).

Everything happens in a temporary directory (YANXIU_VAR_DIR, the roster, server logs, the
throwaway venv), removed at the end; PostgreSQL runs under scripts/with-postgres.sh, which
removes its cluster. Servers are stopped by process group. Nothing under var/ is touched.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
YANXIU = VENV_BIN / "yanxiu"
TEACHERS = 140_080
IMPORT_TARGET_S = 60.0
LIST_TARGET_MS = 150.0
LOGIN_TARGET_RPS = 1000.0
HEARTBEAT_TARGET_RPS = 1000.0
HEARTBEAT_TARGET_P99_MS = 100.0
HEARTBEAT_TARGET_SHARE = 0.40  # of GET /healthz's throughput, same server, same run
PAGE_TARGET_RPS = 250.0
PAGE_TARGET_P99_MS = 200.0
LEARNING_PARTS = ("heartbeat", "course", "center")
# Packages for the alternative servers, installed only into a throwaway venv (never .venv).
ALT_PACKAGES = ["uvicorn", "uvloop", "httptools", "granian", "gunicorn"]
# The project's server (`make run`), from .venv; the others only run when asked or when it misses the target.
PROJECT_SERVER = "granian-wsgi"
ALT_SERVERS = ("uvicorn", "uvicorn+uvloop+httptools", "granian-asgi", "gunicorn-sync", "gunicorn-gthread")
SERVERS = (PROJECT_SERVER, *ALT_SERVERS)
SQLITE_TABLES = ("django_session", "core_auditevent", "accounts_loginfailure")


def log(message: str) -> None:
    print(f"[bench {datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_busy_sample() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def cpu_busy_since(start: tuple[int, int]) -> float:
    busy, total = cpu_busy_sample()
    return round(100 * (busy - start[0]) / max(1, total - start[1]), 1)


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) of the live processes in a process group, from /proc."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        rest = text[text.rindex(")") + 2 :].split()
        if int(rest[2]) == pgid:
            ticks += int(rest[11]) + int(rest[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Env:
    """The environment of the project commands of one database's run."""

    def __init__(self, var_dir: Path, db: str):
        self.var_dir = var_dir
        self.db = db
        base = {k: v for k, v in os.environ.items() if k != "DEBUG"}
        if db == "sqlite":
            base.pop("DATABASE_URL", None)
        elif "DATABASE_URL" not in base:
            raise SystemExit("postgres run without DATABASE_URL (run.py starts it via scripts/with-postgres.sh)")
        base.update(YANXIU_VAR_DIR=str(var_dir), DEBUG="0", LOG_LEVEL="WARNING", PYTHONDONTWRITEBYTECODE="1")
        self.vars = base

    def with_(self, **extra: str) -> dict[str, str]:
        return {**self.vars, **extra}


def run_cmd(cmd: list[str], env: dict[str, str], *, timeout: float, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


def last_json(text: str) -> dict[str, Any]:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON summary in output:\n{text[-2000:]}")


def prepare_database(env: Env, *, static: bool) -> None:
    log(f"{env.db}: migrate, load-regions" + (", collectstatic" if static else ""))
    run_cmd([str(YANXIU), "migrate", "--noinput", "-v0"], env.vars, timeout=600)
    run_cmd([str(YANXIU), "load-regions"], env.vars, timeout=300)
    if static:
        run_cmd([str(YANXIU), "collectstatic", "--noinput", "-v0"], env.vars, timeout=300)


def timed_command(
    cmd: list[str], env: dict[str, str], *, timeout: float, py_spy: str | None = None, profile_out: Path | None = None
) -> dict[str, Any]:
    if py_spy and profile_out:
        cmd = [py_spy, "record", "--format", "raw", "-r", "50", "-o", str(profile_out), "--", str(PYTHON), *cmd]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = cpu_busy_sample()
    load = loadavg()
    started = time.perf_counter()
    result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {
        "wall_s": round(wall, 2),
        "cpu_user_s": round(after.ru_utime - before.ru_utime, 2),
        "cpu_sys_s": round(after.ru_stime - before.ru_stime, 2),
        "max_rss_mb": round(after.ru_maxrss / 1024),
        "returncode": result.returncode,
        "loadavg_before": load,
        "machine_cpu_busy_pct": cpu_busy_since(busy),
    }
    try:
        out["summary"] = last_json(result.stdout)
    except (RuntimeError, json.JSONDecodeError):
        out["summary"] = None
    if result.returncode != 0:
        out["stderr_tail"] = result.stderr[-2000:]
    return out


# --- 1. import ----------------------------------------------------------------------------------
def bench_import(env: Env, roster: Path, teachers: int, *, py_spy: str | None, workdir: Path) -> dict[str, Any]:
    cmd = [str(YANXIU), "import-teachers", str(roster), "--create-schools"]
    log(f"{env.db}: first import of {teachers} teachers (timed)")
    first = timed_command(cmd, env.vars, timeout=3600, py_spy=py_spy, profile_out=workdir / f"import-{env.db}.raw")
    log(f"{env.db}: first import {first['wall_s']} s, {first['summary']}")
    log(f"{env.db}: second import of the same file (timed)")
    second = timed_command([str(YANXIU), "import-teachers", str(roster)], env.vars, timeout=3600)
    log(f"{env.db}: second import {second['wall_s']} s, {second['summary']}")
    summary = first["summary"] or {}
    first_ok = summary.get("created") == teachers and not summary.get("errors")
    second_ok = bool(second["summary"]) and second["summary"].get("unchanged") == teachers
    return {
        "teachers": teachers,
        "first": first,
        "second": second,
        "first_correct": first_ok,
        "second_all_unchanged": second_ok,
        "target_s": IMPORT_TARGET_S,
        "pass": first_ok and first["wall_s"] <= IMPORT_TARGET_S,
    }


# --- 2. list ------------------------------------------------------------------------------------
def bench_list(env: Env, requests: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if env.db == "postgres":
        # autovacuum would analyse the freshly imported tables within a minute or so; do it now so
        # the plans are the ones production gets, and not a race with autovacuum.
        analyze = (
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'yanxiu.settings'); django.setup();"
            "from django.db import connection; connection.cursor().execute('ANALYZE')"
        )
        run_cmd([str(PYTHON), "-c", analyze], env.vars, timeout=600)
    for debug in ("0", "1"):
        log(f"{env.db}: list page, DEBUG={debug}, {requests} requests per scenario")
        busy = cpu_busy_sample()
        load = loadavg()
        result = run_cmd(
            [str(PYTHON), str(BENCH / "bench_list.py"), "--requests", str(requests)],
            env.with_(DEBUG=debug),
            timeout=3600,
        )
        data = last_json(result.stdout)
        data["loadavg_before"] = load
        data["machine_cpu_busy_pct"] = cpu_busy_since(busy)
        for name, s in data["scenarios"].items():
            # The last page is measured for information; the target names the others.
            s["in_target"] = not name.startswith("last page")
            s["pass"] = s["median_ms"] <= LIST_TARGET_MS
            log(
                f"  {name:28s} median {s['median_ms']:7.1f} ms  p95 {s['p95_ms']:7.1f} ms  {s['queries']} queries"
                f"  ({s['teacher_count_shown']} matching)"
            )
        out[f"DEBUG={debug}"] = data
    return out


# --- 3. login -----------------------------------------------------------------------------------
def sqlite_files(var_dir: Path) -> dict[str, Any]:
    files = {}
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = var_dir / f"yanxiu.sqlite3{suffix}"
        if path.exists():
            stat = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16] if suffix in ("", "-wal") else None
            files[path.name] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256_16": digest}
    return files


PROBE = r"""
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanxiu.settings")
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
counts = {}
with connection.cursor() as cursor:
    for table in %(tables)r:
        cursor.execute(f'SELECT COUNT(*), COALESCE(MAX(id), 0) FROM {table}' if table != 'django_session'
                       else f'SELECT COUNT(*), 0 FROM {table}')
        counts[table] = list(cursor.fetchone())
    if connection.vendor == 'postgresql':
        cursor.execute('SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables')
        counts['pg_stat_user_tables_writes'] = int(cursor.fetchone()[0])
queries = None
if %(probe_page)r:
    client = Client(SERVER_NAME='127.0.0.1')
    client.get('/accounts/login/')
    with CaptureQueriesContext(connection) as captured:
        response = client.get('/accounts/login/')
    queries = {'status': response.status_code, 'queries': len(captured.captured_queries),
               'sql': [q['sql'] for q in captured.captured_queries]}
if connection.vendor == 'sqlite':
    connection.cursor().execute('PRAGMA wal_checkpoint(TRUNCATE)')
print(json.dumps({'counts': counts, 'login_page_queries': queries}))
"""


def db_probe(env: Env, *, probe_page: bool = False) -> dict[str, Any]:
    code = PROBE % {"tables": SQLITE_TABLES, "probe_page": probe_page}
    return last_json(run_cmd([str(PYTHON), "-c", code], env.vars, timeout=300).stdout)


class Server:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_path: Path):
        self.name, self.cmd, self.env, self.log_path = name, cmd, env, log_path
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.log_file = self.log_path.open("w")
        # A session of its own: on the way out the whole group (master and workers) is signalled.
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, cwd=ROOT, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Workers may outlive the master by a moment; wait until the group is empty.
        for _ in range(50):
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        self.log_file.close()

    def wait_ready(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - 127.0.0.1 only
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready after {timeout} s:\n{self.log_path.read_text()[-3000:]}")


def parse_wrk(text: str) -> dict[str, Any]:
    def unit_ms(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]

    out: dict[str, Any] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))}  # type: ignore[union-attr]
    if m := re.search(r"(\d+) requests in ([\d.]+)(\w+)", text):
        out["requests"] = int(m.group(1))
    for pct in ("50", "75", "90", "99"):
        if m := re.search(rf"^\s+{pct}%\s+([\d.]+\w+)", text, re.M):
            out[f"p{pct}_ms"] = round(unit_ms(m.group(1)), 2)
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    out["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    return out


def server_commands(name: str, port: int, alt_python: Path | None) -> list[str]:
    host = ["--host", "127.0.0.1", "--port", str(port)]
    if name == PROJECT_SERVER:  # exactly what `make run` starts, from .venv (see make_run_command)
        granian = [str(VENV_BIN / "granian"), "--interface", "wsgi", *host, "--workers", "2"]
        threads = os.environ.get("BENCH_BLOCKING_THREADS", "4")  # to compare others; make run uses 4
        return [*granian, "--blocking-threads", threads, "yanxiu.wsgi:application"]
    assert alt_python is not None
    uvicorn = [str(alt_python), "-m", "uvicorn", "yanxiu.asgi:application", "--workers", "2", *host, "--no-access-log"]
    if name == "uvicorn":
        # Plain uvicorn (asyncio loop, h11), as `pip install uvicorn` gives it; uvloop and httptools
        # are installed in the same venv, and uvicorn would pick them up by itself.
        return [*uvicorn, "--loop", "asyncio", "--http", "h11"]
    if name == "uvicorn+uvloop+httptools":
        return [*uvicorn, "--loop", "uvloop", "--http", "httptools"]
    if name == "granian-asgi":
        granian = [str(alt_python), "-m", "granian", "--interface", "asgi", "--workers", "2", *host]
        return [*granian, "--log-level", "warning", "yanxiu.asgi:application"]
    if name.startswith("gunicorn-"):
        worker = name.removeprefix("gunicorn-")
        threads = ["--threads", "4"] if worker == "gthread" else []
        gunicorn = [str(alt_python), "-m", "gunicorn", "--workers", "2", "--worker-class", worker, *threads]
        return [*gunicorn, "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "yanxiu.wsgi:application"]
    raise ValueError(name)


def make_run_command() -> str | None:
    """The web server command of `make run`, with the defaults HOST=127.0.0.1, PORT, WEB_WORKERS=2."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(r"\$\(BIN\)/(granian [^&\n]*?)\s*&", text)
    if not match:
        return None
    command = match.group(1).replace("$(HOST)", "127.0.0.1").replace("$(PORT)", "PORT")
    return command.replace("$(WEB_WORKERS)", "2")


def make_alt_venv(workdir: Path) -> Path:
    """A throwaway venv with the alternative servers; Django and yanxiu come from .venv via a .pth."""
    venv = workdir / "alt-venv"
    if (venv / "bin" / "python").exists():
        return venv / "bin" / "python"
    log(f"creating throwaway venv for alternative servers: {' '.join(ALT_PACKAGES)}")
    subprocess.run([str(PYTHON), "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *ALT_PACKAGES],
        check=True,
        timeout=900,
        capture_output=True,
    )
    site = next((venv / "lib").glob("python3*/site-packages"))
    base_site = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"))
    (site / "zz_yanxiu_base.pth").write_text(f"{ROOT}\n{base_site}\n")
    versions = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--disable-pip-version-check", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    log(
        "alt venv: "
        + ", ".join(f"{p['name']} {p['version']}" for p in json.loads(versions) if p["name"].lower() in ALT_PACKAGES)
    )
    return venv / "bin" / "python"


def ensure_wrk() -> None:
    """wrk is Debian's package; as root it is installed when missing (machines are not kept)."""
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    log("installing wrk (apt-get install -y wrk)")

    def apt(*args: str) -> int:
        return subprocess.run(
            ["apt-get", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600, check=False
        ).returncode

    if apt("install", "-y", "wrk") != 0 and (apt("update") != 0 or apt("install", "-y", "wrk") != 0):
        raise SystemExit("could not install wrk: apt-get install -y wrk")


def bench_login(
    env: Env, *, duration: int, alternatives: str, workdir: Path, servers: list[str] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"servers": {}}
    ensure_wrk()
    probe = db_probe(env, probe_page=True)
    out["login_page_queries"] = probe["login_page_queries"]
    log(f"{env.db}: in-process GET /accounts/login/ ran {probe['login_page_queries']['queries']} queries")
    ours = (
        " ".join(server_commands(PROJECT_SERVER, 0, None))
        .replace(f"{VENV_BIN}/", "")
        .replace("--port 0", "--port PORT")
    )
    out["project_command"], out["make_run_command"] = ours, make_run_command()
    if ours != out["make_run_command"]:
        log(f"WARNING: `make run` starts `{out['make_run_command']}`, this benchmark `{ours}`")
    alt_python: Path | None = None
    for name in servers or SERVERS:
        if name != PROJECT_SERVER:
            if not servers:
                project_passed = out["servers"][PROJECT_SERVER]["pass"]
                if alternatives == "no" or (alternatives == "auto" and project_passed):
                    break
            if alt_python is None:
                alt_python = make_alt_venv(workdir)
        port = free_port()
        url = f"http://127.0.0.1:{port}/accounts/login/"
        before = db_probe(env)
        files_before = sqlite_files(env.var_dir) if env.db == "sqlite" else None
        with Server(name, server_commands(name, port, alt_python), env.vars, workdir / f"server-{name}.log") as server:
            server.wait_ready(url)
            log(f"{env.db}: {name} on 127.0.0.1:{port}: warm-up 3 s, then wrk -t2 -c8 -d{duration}s")
            subprocess.run(["wrk", "-t2", "-c8", "-d3s", url], capture_output=True, timeout=60)
            assert server.proc is not None
            busy = cpu_busy_sample()
            load = loadavg()
            server_cpu = group_cpu_seconds(server.proc.pid)
            wrk_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            wrk = subprocess.run(
                ["wrk", "-t2", "-c8", f"-d{duration}s", "--latency", url],
                capture_output=True,
                text=True,
                timeout=duration + 60,
            )
            wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            server_cpu = group_cpu_seconds(server.proc.pid) - server_cpu
            busy_pct = cpu_busy_since(busy)
        files_after = sqlite_files(env.var_dir) if env.db == "sqlite" else None
        after = db_probe(env)
        result = parse_wrk(wrk.stdout)
        requests = max(1, result.get("requests", 0))
        wrk_cpu = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_usage.ru_utime + wrk_usage.ru_stime)
        result["server_cpu_ms_per_request"] = round(1000 * server_cpu / requests, 3)
        result["wrk_cpu_ms_per_request"] = round(1000 * wrk_cpu / requests, 3)
        # What two otherwise idle cores could serve if server and wrk scaled perfectly: an
        # estimate that the other load on this machine does not distort, not a measurement.
        result["rps_if_2_idle_cores"] = round(2000 / max(0.001, (1000 * (server_cpu + wrk_cpu)) / requests))
        result.update(
            command=" ".join(server_commands(name, 0, alt_python))
            .replace(" --port 0", " --port PORT")
            .replace("127.0.0.1:0", "127.0.0.1:PORT"),
            loadavg_before=load,
            machine_cpu_busy_pct=busy_pct,
            counts_before=before["counts"],
            counts_after=after["counts"],
            db_unchanged=before["counts"] == after["counts"] and files_before == files_after,
        )
        if files_before is not None:
            result["sqlite_files_before"], result["sqlite_files_after"] = files_before, files_after
        result["pass"] = result["rps"] >= LOGIN_TARGET_RPS and result["non_2xx"] == 0 and result["db_unchanged"]
        log(
            f"  {name:26s} {result['rps']:8.1f} req/s  p50 {result.get('p50_ms')} ms  p99 {result.get('p99_ms')} ms"
            f"  non-2xx {result['non_2xx']}  db unchanged: {result['db_unchanged']}"
            f"  server cpu {result['server_cpu_ms_per_request']} ms/req, wrk {result['wrk_cpu_ms_per_request']} ms/req"
            f"  (machine busy {busy_pct}%)"
        )
        out["servers"][name] = result
    return out


# --- 4. learning loop (issue 3) -----------------------------------------------------------------
PLAYBACK_PROBE = r"""
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanxiu.settings")
import django
django.setup()
from yanxiu.learning.models import ActivityProgress, Playback
seqs = sum(len(s) for s in Playback.objects.values_list("seqs", flat=True))
watched = sum(ActivityProgress.objects.filter(activity__kind="video").values_list("seconds_watched", flat=True))
print(json.dumps({"beats_applied": seqs, "video_seconds_watched": round(watched, 1)}))
"""


def pg_cpu_seconds() -> float | None:
    """CPU time of this run's PostgreSQL server: the postmaster (with the children it has reaped:
    connections that have ended) and its live children, found by the port of DATABASE_URL."""
    m = re.search(r":(\d+)/", os.environ.get("DATABASE_URL", ""))
    if not m:
        return None
    port = m.group(1)
    postmaster = None
    stats: dict[int, list[str]] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            text = (proc / "stat").read_text()
            if postmaster is None and (proc / "comm").read_text().strip() == "postgres":
                args = (proc / "cmdline").read_bytes().split(b"\0")
                if b"-p" in args and args[args.index(b"-p") + 1 : args.index(b"-p") + 2] == [port.encode()]:
                    postmaster = int(proc.name)
        except (OSError, ValueError):
            continue
        stats[int(proc.name)] = text[text.rindex(")") + 2 :].split()
    if postmaster is None or postmaster not in stats:
        return None
    own = stats[postmaster]
    ticks = sum(int(x) for x in own[11:15])  # utime, stime, cutime, cstime
    ticks += sum(int(rest[11]) + int(rest[12]) for rest in stats.values() if int(rest[1]) == postmaster)
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk_learning(
    url: str, script_args: list[str], *, duration: int, connections: int, server: Server
) -> dict[str, Any]:
    """One timed wrk run with learning.lua, with the machine's and the server's CPU."""
    assert server.proc is not None
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(BENCH / "learning.lua")]
    busy = cpu_busy_sample()
    load = loadavg()
    server_cpu = group_cpu_seconds(server.proc.pid)
    pg_cpu = pg_cpu_seconds()
    wrk_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    wrk = subprocess.run([*cmd, url, "--", *script_args], capture_output=True, text=True, timeout=duration + 60)
    wall = time.perf_counter() - started
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = group_cpu_seconds(server.proc.pid) - server_cpu
    pg_after = pg_cpu_seconds()
    pg_cpu = pg_after - pg_cpu if pg_cpu is not None and pg_after is not None else None
    if wrk.returncode != 0 or "Requests/sec" not in wrk.stdout:
        raise RuntimeError(f"wrk failed ({wrk.returncode}):\n{wrk.stdout[-2000:]}\n{wrk.stderr[-2000:]}")
    result = parse_wrk(wrk.stdout)
    m = re.search(r"status_not_200 (\d+)", wrk.stdout)
    result["status_not_200"] = int(m.group(1)) if m else None
    requests = max(1, result.get("requests", 0))
    wrk_cpu = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_usage.ru_utime + wrk_usage.ru_stime)
    busy_pct = cpu_busy_since(busy)
    ours = server_cpu + wrk_cpu + (pg_cpu or 0)
    result.update(
        command=" ".join([*cmd, url.replace(url.split("/")[2], "127.0.0.1:PORT"), "--", *script_args]),
        server_cpu_ms_per_request=round(1000 * server_cpu / requests, 3),
        postgres_cpu_ms_per_request=round(1000 * pg_cpu / requests, 3) if pg_cpu is not None else None,
        wrk_cpu_ms_per_request=round(1000 * wrk_cpu / requests, 3),
        # What the benchmark's own processes used, and what was left for everyone else on the
        # machine, in % of its cores over the run: a busy machine shows as a large "others".
        benchmark_cpu_pct=round(100 * ours / (wall * (os.cpu_count() or 1)), 1),
        others_cpu_pct=round(max(0.0, busy_pct - 100 * ours / (wall * (os.cpu_count() or 1))), 1),
        # An estimate that the other load does not distort (as for login): what the machine's idle
        # cores could serve at this CPU cost per request, server, PostgreSQL and wrk together.
        rps_if_idle_cores=round(1000 * (os.cpu_count() or 1) / max(0.001, 1000 * ours / requests)),
        loadavg_before=load,
        loadavg_after=loadavg(),
        machine_cpu_busy_pct=busy_pct,
    )
    result["ok"] = result["status_not_200"] == 0 and result["socket_errors"] == 0
    return result


class LearningRun:
    """wrk runs (a 3 s warm-up, then the timed run) against one started server."""

    # A playback's seq numbers keep growing over every heartbeat run (warm-ups and both servers
    # included), in small steps: heartbeats_apply refuses a beat far ahead of the playback's
    # highest seq. Each run starts above the highest seq the previous one can have sent.
    next_seq = 1

    def __init__(self, server: Server, base: str, label: str, duration: int, connections: int):
        self.server, self.base, self.label = server, base, label
        self.duration, self.connections = duration, connections

    def measure(self, name: str, path: str, mode: str, file: str = "-") -> dict[str, Any]:
        for timed in (False, True):
            script_args = [mode, file, "2", str(LearningRun.next_seq)]
            result = wrk_learning(
                self.base + path,
                script_args,
                duration=self.duration if timed else 3,
                connections=self.connections,
                server=self.server,
            )
            if mode == "heartbeat":
                # Thread i posts the playbacks i, i+2, ... round-robin: one round per len/2 requests.
                per_thread = max(1, len(Path(file).read_text().split()) // 2)
                LearningRun.next_seq += (result.get("requests", 0) + self.connections) // per_thread + 2
            if not timed:
                log(f"{self.label}: {name}: warm-up 3 s, {result['rps']:.0f} req/s; then {self.duration} s")
        log(
            f"  {name:14s} {result['rps']:8.1f} req/s  p50 {result.get('p50_ms')} ms"
            f"  p99 {result.get('p99_ms')} ms  not-200 {result['status_not_200']}"
            f"  socket errors {result['socket_errors']}  cpu ms/req: server {result['server_cpu_ms_per_request']}"
            f" postgres {result['postgres_cpu_ms_per_request']} wrk {result['wrk_cpu_ms_per_request']}"
            f" = {result['rps_if_idle_cores']} req/s on idle cores"
            f"  (machine busy {result['machine_cpu_busy_pct']}%, others {result['others_cpu_pct']}%,"
            f" load {result['loadavg_before']})"
        )
        return result


def bench_learning(
    env: Env, *, workdir: Path, duration: int, parts: list[str], pools: list[str], learners: int, connections: int
) -> dict[str, Any]:
    ensure_wrk()
    data = workdir / f"learning-{env.db}"
    log(f"{env.db}: building the learning data ({learners} learners, sessions, playbacks; untimed)")
    setup = last_json(
        run_cmd(
            [str(PYTHON), str(BENCH / "bench_learning.py"), str(data), "--learners", str(learners)],
            env.vars,
            timeout=3600,
        ).stdout
    )
    queries = setup["queries"]
    log(
        f"{env.db}: data in {setup['setup_s']} s; queries per request: course page"
        f" {queries['course_307_activities']['next']} (307 activities) / {queries['course_3_activities']['next']}"
        f" (3 activities), 学习中心 {queries['center_20_enrolments']['next']} (20 enrolments)"
        f" / {queries['center_1_enrolment']['next']} (1 enrolment)"
    )
    ours = (
        " ".join(server_commands(PROJECT_SERVER, 0, None))
        .replace(f"{VENV_BIN}/", "")
        .replace("--port 0", "--port PORT")
    )
    out: dict[str, Any] = {"setup": setup, "project_command": ours, "make_run_command": make_run_command(), "runs": {}}
    if ours != out["make_run_command"]:
        log(f"WARNING: `make run` starts `{out['make_run_command']}`, this benchmark `{ours}`")
    for pool in pools if env.db == "postgres" else ["-"]:
        label = f"DB_POOL={pool}" if env.db == "postgres" else "sqlite"
        server_env = env.with_(DB_POOL=pool) if env.db == "postgres" else env.vars
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        results: dict[str, Any] = {}
        with Server(
            PROJECT_SERVER, server_commands(PROJECT_SERVER, port, None), server_env, workdir / "server.log"
        ) as server:
            server.wait_ready(f"{base}/healthz")
            run = LearningRun(server, base, f"{env.db} {label}", duration, connections)

            if "heartbeat" in parts:
                before = last_json(run_cmd([str(PYTHON), "-c", PLAYBACK_PROBE], env.vars, timeout=300).stdout)
                results["healthz_before"] = run.measure("GET /healthz", "/healthz", "get")
                beats = run.measure("heartbeat", "/learn/heartbeat", "heartbeat", str(data / "playbacks.txt"))
                results["healthz_after"] = run.measure("GET /healthz", "/healthz", "get")
                after = last_json(run_cmd([str(PYTHON), "-c", PLAYBACK_PROBE], env.vars, timeout=300).stdout)
                reference = (results["healthz_before"]["rps"] + results["healthz_after"]["rps"]) / 2
                beats["healthz_reference_rps"] = round(reference, 1)
                beats["share_of_healthz"] = round(beats["rps"] / reference, 3)
                beats["beats_applied"] = after["beats_applied"] - before["beats_applied"]
                beats["video_seconds_credited"] = round(
                    after["video_seconds_watched"] - before["video_seconds_watched"], 1
                )
                beats["pass"] = (
                    beats["ok"]
                    and beats["rps"] >= HEARTBEAT_TARGET_RPS
                    and beats.get("p99_ms", 1e9) <= HEARTBEAT_TARGET_P99_MS
                    and beats["share_of_healthz"] >= HEARTBEAT_TARGET_SHARE
                )
                log(
                    f"  heartbeat: {beats['share_of_healthz']:.0%} of /healthz ({reference:.0f} req/s);"
                    f" {beats['beats_applied']} beats applied (warm-up included),"
                    f" {beats['video_seconds_credited']} video seconds credited"
                )
                results["heartbeat"] = beats
            for part, path, file in (("course", "", "course.txt"), ("center", "/learn/", "center.txt")):
                if part in parts:
                    page = run.measure(f"{part} page", path or "/", "pages", str(data / file))
                    page["pass"] = (
                        page["ok"] and page["rps"] >= PAGE_TARGET_RPS and page.get("p99_ms", 1e9) <= PAGE_TARGET_P99_MS
                    )
                    results[part] = page
        out["runs"][label] = results
    return out


# --- orchestration ------------------------------------------------------------------------------
def run_for_db(db: str, args: argparse.Namespace, workdir: Path, roster: Path | None) -> dict[str, Any]:
    var_dir = workdir / f"var-{db}"
    var_dir.mkdir()
    env = Env(var_dir, db)
    results: dict[str, Any] = {"db": db}
    need_static = "list" in args.only or "login" in args.only or "learning" in args.only
    prepare_database(env, static=need_static)
    if "import" in args.only or "list" in args.only:
        assert roster is not None
        if "import" in args.only:
            results["import"] = bench_import(env, roster, args.teachers, py_spy=args.py_spy, workdir=workdir)
        else:
            log(f"{db}: importing the roster (untimed, data for the list benchmark)")
            run_cmd([str(YANXIU), "import-teachers", str(roster), "--create-schools"], env.vars, timeout=3600)
    if "list" in args.only:
        results["list"] = bench_list(env, args.requests)
    if "login" in args.only:
        servers = args.servers.split(",") if args.servers else None
        results["login"] = bench_login(
            env, duration=args.duration, alternatives=args.alternatives, workdir=workdir, servers=servers
        )
    if "learning" in args.only:
        pools = ["1", "0"] if args.db_pool == "both" else [args.db_pool]
        results["learning"] = bench_learning(
            env,
            workdir=workdir,
            duration=args.duration,
            parts=args.learning.split(","),
            pools=pools,
            learners=args.learners,
            connections=args.connections,
        )
    if args.py_spy and (workdir / f"import-{db}.raw").exists() and args.keep_profiles:
        shutil.copy(workdir / f"import-{db}.raw", Path(args.keep_profiles) / f"import-{db}.raw")
    return results


def machine_info() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")
            ),
            "",
        )
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    versions = subprocess.run(
        [
            str(PYTHON),
            "-c",
            "import django, sqlite3, psycopg, importlib.metadata as m;"
            " print(django.get_version(), sqlite3.sqlite_version, psycopg.__version__, m.version('granian'))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split()
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": versions[0] if versions else "?",
        "sqlite": versions[1] if len(versions) > 1 else "?",
        "psycopg": versions[2] if len(versions) > 2 else "?",
        "granian": versions[3] if len(versions) > 3 else "?",
        "loadavg_at_start": loadavg(),
        "git": git_state(),
    }


def git_state() -> str:
    """The commit measured, and whether yanxiu/ had uncommitted changes then."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=30
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "yanxiu"], cwd=ROOT, capture_output=True, text=True, timeout=30
        ).stdout.rstrip()  # not strip(): porcelain lines start with a status column that may be a space
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not dirty:
        return head
    paths = [line[3:] for line in dirty.splitlines()]
    return f"{head} + uncommitted changes in {', '.join(paths[:5])}{' ...' if len(paths) > 5 else ''}"


def print_summary(all_results: dict[str, Any]) -> None:
    def mark(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print("\n=== Yanxiu benchmarks ===")
    print(json.dumps(all_results["machine"], ensure_ascii=False))
    for db, results in all_results["databases"].items():
        print(f"\n--- {db} ---")
        if imp := results.get("import"):
            f, s = imp["first"], imp["second"]
            print(
                f"import {imp['teachers']} teachers: first {f['wall_s']} s (cpu {f['cpu_user_s']}+{f['cpu_sys_s']} s,"
                f" rss {f['max_rss_mb']} MB) target <= {imp['target_s']:.0f} s {mark(imp['pass'])};"
                f" second {s['wall_s']} s, all unchanged: {imp['second_all_unchanged']}"
            )
        if lst := results.get("list"):
            for debug, data in lst.items():
                for name, sc in data["scenarios"].items():
                    verdict = mark(sc["pass"]) if sc["in_target"] else "(info, no target)"
                    print(
                        f"list {debug} {name:26s} median {sc['median_ms']:7.1f} ms p95 {sc['p95_ms']:7.1f} ms"
                        f" queries {sc['queries']:2d}  {verdict}"
                    )
        if learning := results.get("learning"):
            q = learning["setup"]["queries"]
            print(
                f"learning queries per request: course page {q['course_307_activities']['next']} (307 activities)"
                f" / {q['course_3_activities']['next']} (3); 学习中心 {q['center_20_enrolments']['next']}"
                f" (20 enrolments) / {q['center_1_enrolment']['next']} (1)"
            )
            for label, runs in learning["runs"].items():
                for name, r in runs.items():
                    extra = ""
                    if name == "heartbeat":
                        extra = f" = {r['share_of_healthz']:.0%} of /healthz ({r['healthz_reference_rps']:.0f} req/s)"
                    verdict = mark(r["pass"]) if "pass" in r else "(reference)"
                    print(
                        f"learning {label} {name:15s} {r['rps']:8.1f} req/s p50 {r.get('p50_ms')} ms"
                        f" p99 {r.get('p99_ms')} ms not-200 {r['status_not_200']}{extra} {verdict}"
                    )
        if login := results.get("login"):
            print(f"login page queries (in-process): {login['login_page_queries']['queries']}")
            print(f"login project server: {login['project_command']}")
            if login["project_command"] != login["make_run_command"]:
                print(f"login WARNING: `make run` starts {login['make_run_command']}")
            for name, r in login["servers"].items():
                print(
                    f"login {name:26s} {r['rps']:8.1f} req/s p50 {r.get('p50_ms')} ms p99 {r.get('p99_ms')} ms"
                    f" non-2xx {r['non_2xx']} db unchanged {r['db_unchanged']}"
                    f" server {r['server_cpu_ms_per_request']} ms cpu/req {mark(r['pass'])}"
                )


def inner_main(args: argparse.Namespace) -> None:
    """One database's run; for PostgreSQL this runs under scripts/with-postgres.sh."""
    workdir = Path(args.workdir)
    roster = Path(args.roster) if args.roster else None
    results = run_for_db(args.inner, args, workdir, roster)
    (workdir / f"results-{args.inner}.json").write_text(json.dumps(results, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--only",
        action="append",
        choices=["import", "list", "login", "learning"],
        help="run only this benchmark (repeatable); default all four",
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--teachers", type=int, default=TEACHERS, help=f"roster size (default {TEACHERS})")
    parser.add_argument("--requests", type=int, default=100, help="timed list requests per scenario (>= 50)")
    parser.add_argument("--duration", type=int, default=15, help="wrk seconds (default 15)")
    parser.add_argument(
        "--alternatives",
        choices=["auto", "yes", "no"],
        default="auto",
        help=f"also measure the other servers from a throwaway venv: auto = only if {PROJECT_SERVER} misses",
    )
    parser.add_argument(
        "--servers",
        help=f"comma-separated servers to measure, in order (overrides --alternatives); from: {', '.join(SERVERS)}",
    )
    parser.add_argument(
        "--learning",
        default=",".join(LEARNING_PARTS),
        help=f"learning sub-targets, comma-separated (default {','.join(LEARNING_PARTS)})",
    )
    parser.add_argument("--learners", type=int, default=1000, help="learners for the learning data (default 1000)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections for learning (default 64)")
    parser.add_argument(
        "--db-pool",
        choices=["1", "0", "both"],
        default="1",
        help="PostgreSQL learning runs: DB_POOL of the server (1 = production, 0 = make run's default)",
    )
    parser.add_argument("--py-spy", help="path to py-spy: profile the first import (raw collapsed stacks)")
    parser.add_argument("--keep-profiles", help="directory to copy py-spy profiles into")
    parser.add_argument("--json", help="also write all results to this file")
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--roster", help=argparse.SUPPRESS)
    parser.add_argument("--inner", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.only = args.only or ["import", "list", "login", "learning"]
    if unknown_parts := set(args.learning.split(",")) - set(LEARNING_PARTS):
        parser.error(f"unknown learning sub-targets: {', '.join(sorted(unknown_parts))}")
    if args.servers and (unknown := set(args.servers.split(",")) - set(SERVERS)):
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    if args.inner:
        inner_main(args)
        return

    # SIGTERM (and SIGHUP) end the run like Ctrl-C does, so the finally blocks clean up.
    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    workdir = Path(tempfile.mkdtemp(prefix="yanxiu-bench-"))
    # The PostgreSQL server user must be able to read nothing here, but the roster path is read by
    # our own processes only; keep the directory private.
    os.chmod(workdir, 0o700)
    all_results: dict[str, Any] = {"machine": machine_info(), "args": vars(args), "databases": {}}
    log(f"work directory {workdir}; load average {all_results['machine']['loadavg_at_start']}")
    try:
        roster = None
        if "import" in args.only or "list" in args.only:
            roster = workdir / "roster.xlsx"
            log(f"generating {args.teachers} teachers into {roster.name} (untimed)")
            made = run_cmd(
                [str(PYTHON), str(BENCH / "make_roster.py"), str(roster), "--teachers", str(args.teachers)],
                dict(os.environ),
                timeout=1800,
            )
            all_results["roster"] = made.stdout.strip().splitlines()[-1]
            log(all_results["roster"])
        for db in dbs:
            if db == "sqlite":
                all_results["databases"][db] = run_for_db(db, args, workdir, roster)
                continue
            inner = [
                str(ROOT / "scripts" / "with-postgres.sh"),
                str(PYTHON),
                str(Path(__file__).resolve()),
                "--inner",
                "postgres",
                "--workdir",
                str(workdir),
                "--db",
                "postgres",
                "--teachers",
                str(args.teachers),
                "--requests",
                str(args.requests),
                "--duration",
                str(args.duration),
                "--alternatives",
                args.alternatives,
            ]
            if args.servers:
                inner += ["--servers", args.servers]
            inner += ["--learning", args.learning, "--learners", str(args.learners)]
            inner += ["--connections", str(args.connections), "--db-pool", args.db_pool]
            for only in args.only:
                inner += ["--only", only]
            if roster:
                inner += ["--roster", str(roster)]
            if args.py_spy:
                inner += ["--py-spy", args.py_spy]
            if args.keep_profiles:
                inner += ["--keep-profiles", args.keep_profiles]
            subprocess.run(inner, cwd=ROOT, check=True, timeout=6 * 3600)
            all_results["databases"][db] = json.loads((workdir / "results-postgres.json").read_text())
        all_results["machine"]["loadavg_at_end"] = loadavg()
        all_results["machine"]["git_at_end"] = git_state()
        print_summary(all_results)
        if args.json:
            Path(args.json).write_text(json.dumps(all_results, ensure_ascii=False, indent=1))
            log(f"results written to {args.json}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        log(f"removed {workdir}")


if __name__ == "__main__":
    main()
