"""Load benchmark of the contest flow: start → save answers → submit, over HTTP.

For each backend (SQLite, then a throwaway PostgreSQL) it:
1. migrates a fresh database, loads content/ (no demo) and adds a benchmark round to the
   sample contest;
2. creates N participants with complete profiles and an API token each, straight in the
   database (registration through HTTP is Argon2-bound and rate-limited per IP by design;
   a few tokens are still requested through POST /api/v1/auth/token to check that path);
3. serves the app with gunicorn (2 sync workers by default) on 127.0.0.1 and drives them
   concurrently, one phase per step so each step gets its own throughput: start, save
   answers (twice), submit, a double submit for 10 %, and late answers/submits for 5 %
   whose deadline is moved into the past in the database first;
4. checks that every acknowledged submit is in the database exactly once (one finished
   attempt per participant, the same score as acknowledged), that late answers were
   refused and their attempts finalised by the deadline, that the leaderboard counts every
   finisher, that the report figures kept by the database equal counting the rows (after
   the first read has counted the attempts queued during the run, timed), and that no
   response was a 5xx;
5. measures a hello-world endpoint of the same server with the same concurrency, and writes
   bench/results/contest.md.

Environment: HOCTAP_BENCH_N (participants, default 2000), HOCTAP_BENCH_CONCURRENCY
(client threads, default 16), HOCTAP_BENCH_BACKENDS ("sqlite,postgresql"),
HOCTAP_BENCH_REPEAT (whole runs per backend, default 3; the summary quotes medians),
HOCTAP_BENCH_WRK_N and HOCTAP_BENCH_WRK_SECONDS (the wrk table, see `wrk_phases`),
HOCTAP_BENCH_WORKERS (gunicorn sync workers, default 2), HOCTAP_BENCH_RESULTS (the report's
path, default bench/results/contest.md).
Only loopback addresses are used.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import wrk_requests  # noqa: E402

N = int(os.environ.get("HOCTAP_BENCH_N", "2000"))
#: Further participants driven by wrk (a C load generator) for the throughput table.
#: Twice N by default: each attempt is submitted once, so this sizes the wrk submit run.
WRK_N = int(os.environ.get("HOCTAP_BENCH_WRK_N", str(2 * N)))
WRK_SECONDS = int(os.environ.get("HOCTAP_BENCH_WRK_SECONDS", "10"))
#: Whole runs per backend; the summary quotes the median ratio of each step.
REPEAT = int(os.environ.get("HOCTAP_BENCH_REPEAT", "3"))
CONCURRENCY = int(os.environ.get("HOCTAP_BENCH_CONCURRENCY", "16"))
BACKENDS = os.environ.get("HOCTAP_BENCH_BACKENDS", "sqlite,postgresql").split(",")
#: gunicorn sync workers (gunicorn suggests 2 × cores + 1 for a deployment).
WORKERS = int(os.environ.get("HOCTAP_BENCH_WORKERS", "2"))
HOST = "127.0.0.1"
CONTEST = "cong-dan-so"
ROUND = "bench"
PASSWORD = "Bench-2022-pass"
RESULTS = Path(os.environ.get("HOCTAP_BENCH_RESULTS", ROOT / "bench" / "results" / "contest.md"))
HOCTAP = str(Path(sys.executable).parent / "hoctap")
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- setup ---------------------------------------------------------------------------------


def prepare_database(env: dict) -> list[tuple[int, str]]:
    """Migrate, load content, add the bench round and N participants; return (id, token)."""
    subprocess.run([HOCTAP, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([HOCTAP, "content", "load", "--no-demo"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    script = f"""
import json, secrets, sys
from sqlalchemy import select, insert
from hoctap_learn import create_app
from hoctap_learn.extensions import db
from hoctap_learn.accounts.models import User
from hoctap_learn.accounts.passwords import hash_password
from hoctap_learn.contests.models import ApiToken, Contest, Round
from hoctap_learn.contests.tokens import _digest
from hoctap_learn.core.types import utcnow
from hoctap_learn.units.models import Unit
from datetime import timedelta
app = create_app()
with app.app_context():
    contest = db.session.scalar(select(Contest).where(Contest.slug == "{CONTEST}"))
    db.session.add(Round(contest=contest, slug="{ROUND}", title="Vòng đo tải", position=99,
        questions_per_attempt=10, time_limit_seconds=3600, attempts_allowed=1,
        reveal_answers="after_submit", shuffle_questions=True, shuffle_options=True,
        prediction_enabled=True))
    units = db.session.scalars(select(Unit.id)).all()
    password_hash = hash_password("{PASSWORD}")  # one hash: same password, fast setup
    now = utcnow()
    db.session.execute(insert(User), [dict(email=f"thi-sinh-{{i}}@bench.hoctap.vn",
        password_hash=password_hash, full_name=f"Thí Sinh Số {{i}}", birth_year=1990 + i % 20,
        unit_id=units[i % len(units)], target_group="nguoi_dan", role="participant",
        active=True, created_at=now, session_version=1) for i in range({N + WRK_N})])
    users = db.session.execute(select(User.id, User.email).where(
        User.email.like("%@bench.hoctap.vn")).order_by(User.id)).all()
    tokens = {{}}
    rows = []
    for user_id, _ in users:
        token = "htl_" + secrets.token_urlsafe(32)
        tokens[user_id] = token
        rows.append(dict(user_id=user_id, token_hash=_digest(token), created_at=now,
                         expires_at=now + timedelta(days=1)))
    db.session.execute(insert(ApiToken), rows)
    db.session.commit()
    json.dump([[uid, tokens[uid], email] for uid, email in users], sys.stdout)
"""
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True,
                         text=True)  # fmt: skip
    return [tuple(x) for x in json.loads(out.stdout)]


class Server:
    def __init__(self, env: dict):
        self.port = free_port()
        # A file, not a pipe: the app writes a log line per request, and a pipe nobody reads
        # until the end fills up and stops the workers.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115  (read back after the run)
        self.proc = subprocess.Popen(
            [GUNICORN, "-w", str(WORKERS), "-b", f"{HOST}:{self.port}", "--log-level", "warning",
             "--chdir", str(ROOT), "bench.contest_wsgi:app"],
            env=env, stdout=subprocess.DEVNULL, stderr=self.log,
        )  # fmt: skip
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                status, _ = Client(self.port).request("GET", "/bench/hello")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def stderr(self) -> bytes:
        self.log.seek(0)
        return self.log.read()


class Client:
    """One keep-alive connection per thread."""

    _local = threading.local()

    def __init__(self, port: int):
        self.port = port

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "port", None) != self.port:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            self._local.conn, self._local.port = conn, self.port
        return conn

    def request(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            conn = self._conn()
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                return response.status, payload
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


# --- phases --------------------------------------------------------------------------------


class Phase:
    def __init__(self, name):
        self.name, self.latencies, self.statuses, self.elapsed = name, [], Counter(), 0.0

    def run(self, items, func):
        lock = threading.Lock()

        def one(item):
            t0 = time.perf_counter()
            status = func(item)
            dt = time.perf_counter() - t0
            with lock:
                self.latencies.append(dt)
                self.statuses[status] += 1

        t0 = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(one, items))
        self.elapsed = time.perf_counter() - t0
        return self

    @property
    def throughput(self):
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, p):
        values = sorted(self.latencies)
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000

    def row(self, hello):
        ratio = self.throughput / hello if hello else 0
        codes = ", ".join(f"{k}×{v}" for k, v in sorted(self.statuses.items()))
        return (f"| {self.name} | {len(self.latencies)} | {self.throughput:,.0f} | {ratio:.2f} | "
                f"{statistics.median(self.latencies) * 1000:.1f} | {self.pct(95):.1f} | "
                f"{self.pct(99):.1f} | {codes} |")  # fmt: skip


def answers_for(attempt: dict, rnd) -> dict:
    answers = {}
    for q in attempt["questions"]:
        kind = q["type"]
        if kind in ("single_choice", "true_false"):
            value = rnd.choice(q["options"])["id"]
        elif kind == "multiple_choice":
            value = [o["id"] for o in q["options"] if rnd.random() < 0.5]
        elif kind == "numerical":
            value = str(rnd.choice([12, 72, 2018, 5]))
        else:
            value = rnd.choice(["phishing", "mã QR", "deepfake", "không biết"])
        answers[str(q["id"])] = value
    return answers


def run_backend(name: str, database_url: str, workdir: Path) -> dict:
    import random

    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(16),
           "HOCTAP_CONTEST_GRACE_SECONDS": "5", "PYTHONPATH": str(ROOT),
           "HOCTAP_LOGIN_LIMIT": "100000 per minute"}  # fmt: skip
    env.pop("HOCTAP_CONTENT_DIR", None)
    t0 = time.perf_counter()
    everyone = prepare_database(env)
    participants, wrk_participants = everyone[:N], everyone[N:]
    setup_seconds = time.perf_counter() - t0
    server = Server(env)
    client = Client(server.port)
    rnd = random.Random(2022)
    api = "/api/v1/contests"
    base = f"{api}/{CONTEST}"
    attempts: dict[int, dict] = {}
    acknowledged: dict[int, float] = {}
    late_refused: set[int] = set()
    lock = threading.Lock()
    try:
        # Token issuance through the API for a few participants (Argon2 verify each).
        tokens_phase = Phase("POST /auth/token").run(
            participants[:20],
            lambda p: client.request("POST", "/api/v1/auth/token",
                                     {"email": p[2], "password": PASSWORD})[0],
        )  # fmt: skip
        hello = Phase("hello world").run(
            range(max(N * 2, 2000)), lambda _: client.request("GET", "/bench/hello")[0]
        )

        def start(p):
            status, body = client.request("POST", f"{base}/rounds/{ROUND}/attempts", token=p[1])
            if status in (200, 201):
                with lock:
                    attempts[p[0]] = json.loads(body)
            return status

        start_phase = Phase("start").run(participants + wrk_participants, start)

        def save(p):
            attempt = attempts[p[0]]
            body = {"answers": answers_for(attempt, random.Random(p[0])),
                    "prediction": 1000 + p[0] % 2000}  # fmt: skip
            return client.request("PUT", f"{api}/attempts/{attempt['id']}/answers", body,
                                  token=p[1])[0]  # fmt: skip

        started = [p for p in participants if p[0] in attempts]
        save_phase = Phase("save answers").run(started * 2, save)

        late = set(p[0] for p in rnd.sample(started, max(1, len(started) // 20)))
        move_deadlines(env, [attempts[uid]["id"] for uid in late])

        def submit(p):
            attempt = attempts[p[0]]
            body = {"answers": answers_for(attempt, random.Random(p[0] + 1))}
            status, payload = client.request("POST", f"{api}/attempts/{attempt['id']}/submit",
                                             body, token=p[1])  # fmt: skip
            if status == 200:
                with lock:
                    score = json.loads(payload)["score"]
                    previous = acknowledged.setdefault(p[0], score)
                    if previous != score:
                        raise AssertionError(f"double submit changed the score of {p[0]}")
            elif status == 409 and p[0] in late:
                with lock:
                    late_refused.add(p[0])
            return status

        on_time = [p for p in started if p[0] not in late]
        doubles = rnd.sample(on_time, max(1, len(on_time) // 10))
        submit_phase = Phase("submit (incl. 10 % double)").run(on_time + doubles, submit)
        late_phase = Phase("late submit (refused)").run(
            [p for p in started if p[0] in late], submit
        )

        wrk = wrk_phases(server.port, [(p, attempts[p[0]]) for p in wrk_participants
                                       if p[0] in attempts])  # fmt: skip

        board = 0
        page = 1
        while True:
            status, payload = client.request(
                "GET", f"{base}/leaderboard?round={ROUND}&per_page=200&page={page}"
            )
            assert status == 200, status
            rows = json.loads(payload)["results"]
            board += len(rows)
            if len(rows) < 200:
                break
            page += 1
        stderr = b""
    finally:
        server.stop()
        stderr = server.stderr()
    checks = verify(env, acknowledged, late, late_refused, board,
                    {p[0] for p in wrk_participants})  # fmt: skip
    checks.update(fold_and_check_tallies(env))
    phases = [tokens_phase, start_phase, save_phase, submit_phase, late_phase]
    five_xx = sum(v for ph in [hello, *phases] for k, v in ph.statuses.items() if k >= 500)
    five_xx += sum(n for step in wrk.values() for code, n in step["statuses"].items()
                   if code >= 500)  # fmt: skip
    return {"name": name, "hello": hello, "phases": phases, "checks": checks, "five_xx": five_xx,
            "wrk": wrk,
            "setup": setup_seconds, "stderr": stderr.decode(errors="replace")[-2000:]}  # fmt: skip


def wrk_phases(port: int, started: list) -> dict:
    """Hello world, autosave and submit driven by wrk for the throughput table.

    A Python client costs about as much CPU per request as the hello-world endpoint itself,
    on the same two cores, so it flatters every ratio; wrk does not. Each step drives
    participants of its own (`started`: (participant, attempt) pairs). Autosaves cycle
    (saving again is what autosave does); the submit run is sized from the autosave
    throughput so that each attempt is submitted once (`verify` counts the first submits).
    """
    import random

    base = f"http://{HOST}:{port}"
    api = "/api/v1/contests/attempts"

    def body(data):
        return json.dumps(data, ensure_ascii=False)

    hello = wrk_requests(base, [("GET", "/bench/hello", "", "")], WRK_SECONDS)
    saves = [("PUT", f"{api}/{a['id']}/answers", p[1],
              body({"answers": answers_for(a, random.Random(p[0])),
                    "prediction": 1000 + p[0] % 2000}))
             for p, a in started]  # fmt: skip
    save = wrk_requests(base, saves, WRK_SECONDS)
    submits = [("POST", f"{api}/{a['id']}/submit", p[1],
                body({"answers": answers_for(a, random.Random(p[0] + 1))}))
               for p, a in started]  # fmt: skip
    seconds = max(1, min(WRK_SECONDS, int(0.7 * len(submits) / max(save["rps"], 1))))
    submit = wrk_requests(base, submits, seconds)
    return {"hello world": hello, "save answers": save, "submit": submit}


def move_deadlines(env, attempt_ids):
    script = f"""
from datetime import timedelta
from sqlalchemy import update
from hoctap_learn import create_app
from hoctap_learn.extensions import db
from hoctap_learn.contests.models import Attempt
from hoctap_learn.core.types import utcnow
app = create_app()
with app.app_context():
    past = utcnow() - timedelta(minutes=10)
    db.session.execute(update(Attempt).where(Attempt.id.in_({list(attempt_ids)!r}))
        .values(started_at=past - timedelta(minutes=5), deadline_at=past))
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True)


def verify(env, acknowledged, late, late_refused, board, wrk_users) -> dict:
    script = """
import json, sys
from sqlalchemy import func, select
from hoctap_learn import create_app
from hoctap_learn.extensions import db
from hoctap_learn.contests.models import Attempt, Round
app = create_app()
with app.app_context():
    round_id = db.session.scalar(select(Round.id).where(Round.slug == "bench"))
    rows = db.session.execute(select(Attempt.user_id, Attempt.status, Attempt.finished_by,
        Attempt.score).where(Attempt.round_id == round_id)).all()
    json.dump([list(r) for r in rows], sys.stdout)
"""
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True,
                         text=True)  # fmt: skip
    rows = json.loads(out.stdout)
    per_user = Counter(r[0] for r in rows)
    by_user = {r[0]: r for r in rows}
    lost = [u for u in acknowledged if u not in by_user or by_user[u][1] != "finished"]
    wrong_score = [u for u, s in acknowledged.items() if u in by_user and by_user[u][3] != s]
    duplicated = [u for u, n in per_user.items() if n > 1]
    late_ok = all(by_user[u][2] == "deadline" for u in late if u in by_user)
    finished_users = sum(1 for r in rows if r[1] == "finished")
    return {
        "wrk_first_submits": sum(1 for r in rows if r[0] in wrk_users and r[1] == "finished"),
        "acknowledged": len(acknowledged),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "score_mismatch": len(wrong_score),
        "late": len(late),
        "late_refused": len(late_refused),
        "late_finalised_by_deadline": late_ok,
        "finished_in_db": finished_users,
        "leaderboard_rows": board,
        "leaderboard_matches": board == finished_users,
    }


def fold_and_check_tallies(env) -> dict:
    """Count the attempts queued for the report figures during the run (what the first
    read of the figures does; timed: it is work the submits no longer do) and compare every
    kept figure with counting the rows."""
    script = """
import json, sys, time
from hoctap_learn import create_app
from hoctap_learn.extensions import db
from hoctap_learn.contests import tallies
from hoctap_learn.reports import services, tallies as kept
app = create_app()
with app.app_context():
    db.session.connection()
    started = time.perf_counter()
    folded = tallies.fold()
    db.session.commit()
    seconds = time.perf_counter() - started
    differences = kept.check(services.build_filters(None))
    json.dump({"folded": folded, "fold_ms": seconds * 1000,
               "tallies_differences": len(differences)}, sys.stdout)
"""
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True,
                         text=True)  # fmt: skip
    return json.loads(out.stdout)


def postgres_url():
    from tests.pgcluster import PostgresCluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        return None, None
    cluster = PostgresCluster(bindir)
    url = cluster.start()
    return url, cluster


def target_line(r, hello) -> str:
    """The issue's throughput target: save answers and submit each ≥ 0.3× hello world."""
    save = r["phases"][2].throughput / hello if hello else 0
    submit = r["phases"][3].throughput / hello if hello else 0
    met = save >= 0.3 and submit >= 0.3
    verdict = "met" if met else "NOT met"
    return (
        "Throughput target (save answers and submit each ≥ 0.30× hello world): "
        f"**{verdict}** (save {save:.2f}×, submit {submit:.2f}×)."
    )


def wrk_table(r) -> list[str]:
    wrk = r["wrk"]
    hello = wrk["hello world"]["rps"]
    lines = [
        f"### The same server driven by wrk ({CONCURRENCY} connections, 2 threads), "
        f"{WRK_N} further participants",
        "",
        "| step | requests | req/s | ratio | p50 ms | p95 ms | p99 ms | statuses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, step in wrk.items():
        codes = ", ".join(f"{k}×{v}" for k, v in sorted(step["statuses"].items()))
        lines.append(f"| {name} | {step['requests']} | {step['rps']:,.0f} | "
                     f"{step['rps'] / hello:.2f} | {step['p50']:.1f} | {step['p95']:.1f} | "
                     f"{step['p99']:.1f} | {codes} |")  # fmt: skip
    save = wrk["save answers"]["rps"] / hello
    submit = wrk["submit"]["rps"] / hello
    first = r["checks"]["wrk_first_submits"]
    verdict = "met" if save >= 0.3 and submit >= 0.3 else "NOT met"
    lines += [
        "",
        f"Submits: {wrk['submit']['requests']} completed wrk submit requests finished "
        f"{first} attempts (a few more requests were in flight when wrk stopped; when "
        "requests outnumber finished attempts, the rest repeated a submit and got the same "
        "result). "
        f"Throughput target against this yardstick: **{verdict}** (save {save:.2f}×, "
        f"submit {submit:.2f}×).",
        "",
    ]
    return lines


def report(results) -> str:
    lines = [
        "# Contest load benchmark",
        "",
        f"`bench/contest_load.py`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. N = {N} participants, "
        f"{CONCURRENCY} client threads, gunicorn with {WORKERS} sync workers on 127.0.0.1, "
        f"load generator on the same machine ({os.cpu_count()} CPUs). Each step runs as its own "
        "phase; ratio = step throughput ÷ hello-world throughput of the same server.",
        "",
    ]
    for r in results:
        hello = r["hello"].throughput
        c = r["checks"]
        ok = (c["lost"] == 0 and c["duplicated"] == 0 and c["score_mismatch"] == 0
              and c["late_refused"] == c["late"] and c["late_finalised_by_deadline"]
              and c["leaderboard_matches"] and c["tallies_differences"] == 0
              and r["five_xx"] == 0)  # fmt: skip
        lines += [
            f"## {r['name']}, run {r.get('run', 1)}",
            "",
            "| step | requests | req/s | ratio | p50 ms | p95 ms | p99 ms | statuses |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
            r["hello"].row(hello),
            *[ph.row(hello) for ph in r["phases"]],
            "",
            f"Checks: {c['acknowledged']} acknowledged submits, {c['lost']} lost, "
            f"{c['duplicated']} duplicated, {c['score_mismatch']} score mismatches; "
            f"{c['late_refused']}/{c['late']} late submits refused and "
            f"{'all' if c['late_finalised_by_deadline'] else 'NOT all'} finalised at the deadline; "
            f"leaderboard rows {c['leaderboard_rows']} vs finished attempts {c['finished_in_db']}; "
            f"report figures: the {c['folded']:,} attempts queued during the run counted "
            f"by the first read in {c['fold_ms']:.0f} ms "
            f"({1000 * c['fold_ms'] / max(c['folded'], 1):.0f} µs each), "
            f"{c['tallies_differences']} differences from counting the rows; "
            f"5xx responses: {r['five_xx']}. **{'PASS' if ok else 'FAIL'}**. "
            f"(Setup of the database and participants: {r['setup']:.1f} s.)",
            "",
            target_line(r, hello),
            "",
            *wrk_table(r),
        ]
    lines += [
        "Notes: `POST /auth/token` verifies an Argon2id hash (time cost 3, 64 MiB) on every call "
        "by design, so it is measured on 20 calls only and not compared with the target. "
        "Participants are created in the database because registration through HTTP is "
        "Argon2-bound and rate-limited per IP. The machine is shared: 1-minute load average "
        f"when the report was written: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.",
        "",
    ]
    return "\n".join(lines)


def summary(results) -> list[str]:
    """Median ratio per backend and step over the runs (the machine is shared and noisy)."""
    lines = [
        "## Summary: median ratio to hello world over the runs",
        "",
        "| backend | runs | client | save answers | submit | start |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for name in dict.fromkeys(r["name"] for r in results):
        runs = [r for r in results if r["name"] == name]

        def med(values):
            return f"{statistics.median(values):.2f}"

        python = [(r["phases"][2].throughput / r["hello"].throughput,
                   r["phases"][3].throughput / r["hello"].throughput,
                   r["phases"][1].throughput / r["hello"].throughput) for r in runs]
        fast = [(r["wrk"]["save answers"]["rps"] / r["wrk"]["hello world"]["rps"],
                 r["wrk"]["submit"]["rps"] / r["wrk"]["hello world"]["rps"]) for r in runs]
        lines.append(f"| {name} | {len(runs)} | Python threads | {med([x[0] for x in python])} "
                     f"| {med([x[1] for x in python])} | {med([x[2] for x in python])} |")
        lines.append(f"| {name} | {len(runs)} | wrk | {med([x[0] for x in fast])} | "
                     f"{med([x[1] for x in fast])} | – |")  # fmt: skip
    clean = all(r["five_xx"] == 0 for r in results)
    lines += ["", f"5xx responses in all runs: {'none' if clean else 'SOME (see below)'}.", ""]
    return lines


def main():
    results = []
    for backend in [b for b in BACKENDS for _ in range(REPEAT)]:
        workdir = Path(tempfile.mkdtemp(prefix="hoctap-bench-"))
        cluster = None
        try:
            if backend == "sqlite":
                url = f"sqlite:///{workdir / 'bench.db'}"
            else:
                url, cluster = postgres_url()
                if url is None:
                    print("PostgreSQL not found; skipped")
                    continue
            print(f"-- {backend}: N={N}, concurrency={CONCURRENCY}", flush=True)
            result = run_backend("SQLite (WAL)" if backend == "sqlite" else "PostgreSQL", url,
                                 workdir)  # fmt: skip
            result["run"] = 1 + sum(1 for r in results if r["name"] == result["name"])
            results.append(result)
            print(report([result]), flush=True)
            if result["five_xx"]:
                print(result["stderr"])
        finally:
            if cluster is not None:
                cluster.stop()
            shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    text = report(results)
    head, _, rest = text.partition("\n## ")
    RESULTS.write_text("\n".join([head.rstrip("\n"), "", *summary(results)]) + "\n## " + rest,
                       encoding="utf-8")  # fmt: skip
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
