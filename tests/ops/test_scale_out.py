"""Two web nodes, one database: the scale-out scenario (issue 15).

One setup for the module, as an operator would build it on three machines:
- one PostgreSQL database, created fresh in the suite's cluster, migrated with
  `hoctap db upgrade` and loaded with `hoctap content load` (the whole content, the 328-record
  catalog and the demo contest attempts included: the command has no option to skip them);
- one Redis (flushed): rate limits, login delays and the job queue;
- two gunicorn nodes, A and B (1 worker each), each with its own instance folder and
  `HOCTAP_INDEX_DIR`, the same `SECRET_KEY`, `DATABASE_URL` and `HOCTAP_REDIS_URL`;
- one `hoctap worker` with an index folder of its own;
- the OAI-PMH test repository on 127.0.0.1 (allowed by `HOCTAP_HARVEST_ALLOW_HOSTS` in every
  process).

The nodes are set up as behind one load balancer (`HOCTAP_TRUSTED_PROXIES=1`): each test's
people come from addresses of their own (`X-Forwarded-For`, a documentation range, never
dialled), so the per-address login limit one test exhausts does not refuse another's logins.
The five tests share the setup (starting it takes most of the time) but not their data, so
each one can run alone (`-k`); one test per behaviour of the issue says which one broke.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.harvest.servers import MemoryRepository, OaiServer, sample_items, serve_wsgi
from tests.jobs.process import LOOPBACK, Worker, spawn_worker, wait_for

from .conftest import BIN, CHEAP_ARGON2, base_env, gunicorn
from .webclient import Browser, answer_for, call, flush_redis

DATABASE = "hoctap_scale_out"
#: Upper bound for a change committed through one node to be found by a search on the other.
#: A bound for correctness (the other node catches up from the change log on each search), not
#: a performance figure: the measured time is printed and recorded.
CATCH_UP_BOUND = 30.0
LOGIN_LIMIT = 3
PARTICIPANT = ("thisinh@demo.hoctap.vn", "HocTap@2022-thisinh")
ADMIN = ("admin@demo.hoctap.vn", "HocTap@2022-admin")
ORGANIZER = ("btc.vungtau@demo.hoctap.vn", "HocTap@2022-btc")
RESOURCES = "/api/v1/resources"
CONTESTS = "/api/v1/contests"
#: Records of tests/harvest/servers.sample_items() that become resources (3 has no title,
#: 4 no URL, 10/20/30 are deleted at the source).
HARVESTED = [n for n in range(1, 36) if n not in (3, 4, 10, 20, 30)]


@dataclass
class Scale:
    a: str  # node A's base URL
    b: str
    #: Node A's environment: what an operator on machine A runs `hoctap …` with.
    env_a: dict
    oai: OaiServer
    worker: Worker
    folder: Path
    logs: dict[str, Path] = field(default_factory=dict)

    def log_tails(self, lines: int = 30) -> str:
        out = []
        for name, path in self.logs.items():
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            out.append(f"--- {name} ---\n" + "\n".join(text))
        return "\n".join(out)


def hoctap(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "hoctap"), *args], env=env, capture_output=True, text=True, timeout=300
    )


@contextlib.contextmanager
def fresh_database(postgres_url: str):
    """A new, empty database in the suite's PostgreSQL cluster; dropped afterwards."""
    url = make_url(postgres_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
        yield url.set(database=DATABASE).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def scale(postgres_url, redis_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale-out")
    flush_redis(redis_url)
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(fresh_database(postgres_url))
        shared = {
            "DATABASE_URL": database_url,
            "HOCTAP_REDIS_URL": redis_url,
            "SECRET_KEY": "scale-out-test-secret",
            "HOCTAP_ARGON2": CHEAP_ARGON2,
            "HOCTAP_LOGIN_LIMIT": f"{LOGIN_LIMIT} per minute",
            "HOCTAP_TRUSTED_PROXIES": "1",
            "HOCTAP_HARVEST_ALLOW_HOSTS": LOOPBACK,
            "HOCTAP_HARVEST_TIMEOUT": "5",
            "HOCTAP_HARVEST_RETRIES": "1",
            "HOCTAP_HARVEST_DEFAULT_WAIT": "0.05",
            "HOCTAP_JOB_HEARTBEAT_SECONDS": "1",
        }

        def machine(name: str) -> dict:
            """The settings of one machine: shared ones, and folders of its own."""
            root = folder / name
            return {
                **shared,
                "HOCTAP_INDEX_DIR": str(root / "search-index"),
                "HOCTAP_UPLOAD_DIR": str(root / "uploads"),
                "HOCTAP_JOBS_DB": str(root / "jobs.db"),  # unused: the queue is in Redis
            }

        env_a, env_b = base_env(**machine("node-a")), base_env(**machine("node-b"))
        for step in (["db", "upgrade"], ["content", "load", "--json"]):
            done = hoctap(env_a, *step)
            assert done.returncode == 0, done.stdout + done.stderr

        repository = MemoryRepository(sample_items())
        oai = OaiServer(repository)
        base, stop_oai = serve_wsgi(oai)
        stack.callback(stop_oai)
        oai.url = repository.base_url = base + "/oai"

        logs = {name: folder / f"{name}.log" for name in ("node-a", "node-b", "worker")}
        worker = spawn_worker(machine("worker"), logs["worker"])
        stack.callback(worker.kill)
        a = stack.enter_context(gunicorn(env_a, logs["node-a"], instance=folder / "node-a"))
        b = stack.enter_context(gunicorn(env_b, logs["node-b"], instance=folder / "node-b"))
        scale = Scale(a, b, env_a, oai, worker, folder, logs)
        for node in (a, b):
            ready = wait_for(lambda node=node: _worker_seen(node), "a worker heartbeat", 90)
            assert ready["checks"]["redis"]["ok"] and ready["checks"]["database"]["ok"], ready
        yield scale


def _worker_seen(node: str) -> dict | None:
    status, body = call("GET", node + "/readyz")
    worker = body.get("checks", {}).get("worker", {})
    return body if status == 200 and worker.get("heartbeat_age") is not None else None


def client(address: str) -> dict:
    """The header the load balancer adds for a person at `address`."""
    return {"X-Forwarded-For": address}


def found(node: str, query: str, **filters) -> list[str]:
    args = urllib.parse.urlencode({"q": query, "per_page": 50, **filters})
    status, body = call("GET", f"{node}{RESOURCES}?{args}")
    assert status == 200, body
    return [r["identifier"] for r in body["results"]]


# --- catalog import on A, search on B ---------------------------------------------------------


def test_import_through_a_is_found_by_a_search_on_b(scale, record_testsuite_property):
    identifier = "scale-out:so-tay-nuoi-tom"
    query = "sổ tay nuôi tôm Xuyên Mộc"
    # Both nodes answer before the import (each builds its index from the database first).
    assert identifier not in found(scale.a, query)
    assert identifier not in found(scale.b, query)

    path = scale.folder / "import.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["identifier", "title", "description", "creators", "subjects",
                         "publisher", "type", "language", "level", "license", "url", "year"])
        writer.writerow([
            identifier, "Sổ tay nuôi tôm bền vững ở Xuyên Mộc",
            "Kỹ thuật nuôi tôm thẻ chân trắng cho hộ gia đình.", "Trung tâm Khuyến nông",
            "Nông nghiệp; Thủy sản", "Sở Nông nghiệp BR-VT", "sách/giáo trình", "vi", "phổ cập",
            "CC BY 4.0", "https://khuyennong.example.vn/so-tay-tom", "2022",
        ])  # fmt: skip
    # No import page exists: the operator runs the CLI on machine A, with A's settings (its
    # index folder gets the change right after the commit).
    imported = hoctap(scale.env_a, "catalog", "import", str(path), "--json")
    ended = time.monotonic()
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert json.loads(imported.stdout)["created"] == 1

    searches = 0

    def found_on_b() -> bool:
        nonlocal searches
        searches += 1
        return identifier in found(scale.b, query)

    wait_for(found_on_b, "the import on node B", CATCH_UP_BOUND)
    seconds = time.monotonic() - ended
    record_testsuite_property("import_on_a_to_result_on_b_seconds", round(seconds, 3))
    print(f"\nscale-out: import on A → result on B in {seconds:.3f} s ({searches} search(es))")
    assert seconds < CATCH_UP_BOUND
    assert identifier in found(scale.a, query)
    status, resource = call("GET", f"{scale.b}{RESOURCES}/{identifier}")
    assert status == 200 and resource["title"] == "Sổ tay nuôi tôm bền vững ở Xuyên Mộc"


# --- a contest attempt moves between nodes --------------------------------------------------


def test_attempt_started_on_a_is_continued_and_submitted_on_b(scale):
    who = client("203.0.113.20")
    status, body = call("POST", scale.a + "/api/v1/auth/token", headers=who,
                        body={"email": PARTICIPANT[0], "password": PARTICIPANT[1]})  # fmt: skip
    assert status == 201, body
    token = body["token"]

    status, attempt = call("POST", f"{scale.a}{CONTESTS}/cong-dan-so/rounds/thi-thu/attempts",
                           token, headers=who)  # fmt: skip
    assert status == 201, attempt
    questions = attempt["questions"]
    assert len(questions) == 10 and all(q["answer"] is None for q in questions)
    # the option ids of this attempt, from the start response
    answers = {str(q["id"]): answer_for(q, n) for n, q in enumerate(questions)}
    first, rest = dict(list(answers.items())[:4]), dict(list(answers.items())[4:])

    url_b = f"{scale.b}{CONTESTS}/attempts/{attempt['id']}"
    status, body = call("PUT", url_b + "/answers", token, {"answers": first}, headers=who)
    assert status == 200, body
    status, on_b = call("GET", url_b, token, headers=who)
    assert status == 200, on_b
    assert on_b["status"] == "in_progress" and on_b["deadline_at"] == attempt["deadline_at"]
    assert _answers(on_b) == {k: _same(v) for k, v in first.items()}
    # the start on A again resumes the same attempt (one in progress per round), answers kept
    status, again = call("POST", f"{scale.a}{CONTESTS}/cong-dan-so/rounds/thi-thu/attempts",
                         token, headers=who)  # fmt: skip
    assert status == 200 and again["id"] == attempt["id"], again
    assert _answers(again) == _answers(on_b)

    status, body = call("PUT", url_b + "/answers", token, {"answers": rest}, headers=who)
    assert status == 200, body
    status, submitted = call("POST", url_b + "/submit", token, headers=who)
    assert status == 200, submitted

    status, result = call("GET", f"{scale.a}{CONTESTS}/attempts/{attempt['id']}/result", token,
                          headers=who)  # fmt: skip
    assert status == 200, result
    assert result["status"] == "finished" and result["score"] == submitted["score"]
    assert _answers(result) == {k: _same(v) for k, v in answers.items()}
    # finished for every node: A refuses a late change with a message
    status, body = call("PUT", f"{scale.a}{CONTESTS}/attempts/{attempt['id']}/answers", token,
                        {"answers": first}, headers=who)  # fmt: skip
    assert 400 <= status < 500 and body["error"], (status, body)


def _same(value):
    return sorted(value) if isinstance(value, list) else value


def _answers(attempt: dict) -> dict:
    return {
        str(q["id"]): _same(q["answer"]) for q in attempt["questions"] if q["answer"] is not None
    }


# --- login limits --------------------------------------------------------------------------


def test_login_failures_on_a_and_b_are_limited_together(scale):
    """HOCTAP_LOGIN_LIMIT per client address, counted in Redis for both nodes. Each account
    gets fewer failures than the login delays forgive (accounts/throttle.py), so only the
    limit answers 429 here."""
    nodes = [scale.a, scale.b]
    # the login page: one person's failures alternate between the nodes
    browser = Browser(client("203.0.113.30"))
    token = browser.csrf(scale.a)
    statuses = [
        browser.login(nodes[n % 2], PARTICIPANT[0], f"sai-{n}", token)
        for n in range(LOGIN_LIMIT + 2)
    ]
    assert statuses == [422] * LOGIN_LIMIT + [429, 429]  # 422: wrong password
    # refused for the address, whatever the password
    assert browser.login(scale.b, *PARTICIPANT, token) == 429

    # the API's token endpoint, from another address, against another account
    who = client("203.0.113.31")
    statuses = [
        call("POST", nodes[n % 2] + "/api/v1/auth/token", headers=who,
             body={"email": ADMIN[0], "password": f"sai-{n}"})[0]
        for n in range(LOGIN_LIMIT + 2)
    ]  # fmt: skip
    assert statuses == [401] * LOGIN_LIMIT + [429, 429]
    status, body = call("POST", scale.a + "/api/v1/auth/token", headers=who,
                        body={"email": ADMIN[0], "password": ADMIN[1]})  # fmt: skip
    assert status == 429 and body["error"], body

    # another address is not held by these failures
    other = Browser(client("203.0.113.32"))
    assert other.login(scale.b, *PARTICIPANT, other.csrf(scale.b)) == 200
    status, body = call("POST", scale.a + "/api/v1/auth/token", headers=client("203.0.113.33"),
                        body={"email": ADMIN[0], "password": ADMIN[1]})  # fmt: skip
    assert status == 201, body


# --- harvest from A's page, run by the worker, searchable on both; withdrawal ------------------


RUN_URL = re.compile(r"/organizer/harvest/([^/]+)/runs/(\d+)$")


def run_now(browser: Browser, node: str, slug: str) -> int:
    """Press "Chạy ngay" on the source's page on `node`; returns the run's id."""
    token = browser.csrf(node, f"/organizer/harvest/{slug}")
    status, url, page = browser.open(f"{node}/organizer/harvest/{slug}/run",
                                     {"csrf_token": token})  # fmt: skip
    assert status == 200, page[-2000:]
    match = RUN_URL.search(urllib.parse.urlparse(url).path)
    assert match and match.group(1) == slug, url
    return int(match.group(2))


def finished_run(scale: Scale, browser: Browser, node: str, slug: str, run_id: int) -> dict:
    """Follow the run through `node`'s JSON endpoint (as the run page does) until it ends."""

    def progress():
        status, _, body = browser.open(f"{node}/organizer/harvest/{slug}/runs/{run_id}.json")
        assert status == 200, body
        data = json.loads(body)
        return data if data["status"] not in ("queued", "running") else None

    try:
        return wait_for(progress, f"harvest run {run_id}", 90)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{scale.log_tails()}") from None


def test_harvest_from_a_runs_on_the_worker_and_both_nodes_follow(scale):
    browser = Browser(client("203.0.113.40"))
    assert browser.login(scale.a, *ORGANIZER, browser.csrf(scale.a)) == 200
    token = browser.csrf(scale.a, "/organizer/harvest/new")
    _, _, form = browser.open(scale.a + "/organizer/harvest/new")
    unit = re.search(r'<option[^>]*value="(\d+)"', form)  # the organizer's own unit first
    status, url, page = browser.open(scale.a + "/organizer/harvest/new", {
        "csrf_token": token, "name": "Kho ĐH Bà Rịa - Vũng Tàu", "kind": "oai-pmh",
        "url": scale.oai.url, "unit_id": unit.group(1), "oai_set": "", "provider": "",
        "type_map": "",
    })  # fmt: skip
    assert status == 200 and "/organizer/harvest/" in url, page[-2000:]
    slug = urllib.parse.urlparse(url).path.rstrip("/").rsplit("/", 1)[1]

    run_id = run_now(browser, scale.a, slug)
    run = finished_run(scale, browser, scale.a, slug, run_id)
    assert run["status"] == "partial", run  # two records of the source are rejected
    assert run["counts"]["new"] == len(HARVESTED) and run["pages"] == 5, run
    # It ran on the worker process (the nodes run no jobs). The worker logs the job once it
    # returns, a moment after the run's final commit that the page shows.
    wait_for(lambda: re.search(r"job harvest\.run \S+ done in", scale.worker.log()),
             "the worker's log line of the harvest job", limit=30)  # fmt: skip

    publisher = {"publisher": "Trường Đại học Bà Rịa - Vũng Tàu"}  # the source's records
    expected = {f"{slug}:oai:kho-thu:{n}" for n in HARVESTED}
    for node in (scale.a, scale.b):
        assert set(found(node, "", **publisher)) == expected, node

    # Withdrawal: the source deletes a record; the next run (from B's page this time, with
    # the session of A: one secret key) withdraws it, and neither node returns it any more.
    gone = f"{slug}:oai:kho-thu:5"
    for node in (scale.a, scale.b):
        assert gone in found(node, "Học liệu mở số 5")
    scale.oai.repository.delete("oai:kho-thu:5")
    run_id = run_now(browser, scale.b, slug)
    run = finished_run(scale, browser, scale.b, slug, run_id)
    assert run["status"] == "succeeded" and run["counts"]["withdrawn"] == 1, run
    for node in (scale.a, scale.b):
        assert set(found(node, "", **publisher)) == expected - {gone}, node
        assert gone not in found(node, "Học liệu mở số 5")
        status, body = call("GET", f"{node}{RESOURCES}/{gone}")
        assert status == 404 and body["error"], (node, status, body)


# --- a node joins -----------------------------------------------------------------------------


def test_a_node_joining_with_no_index_answers_its_first_searches_together(scale):
    """Node C: a new machine with an empty index folder, put behind the balancer and hit by
    several searches at once while it builds its index (one builds, the others wait for it;
    they all failed with a 500 but the one that built)."""
    import threading

    folder = scale.folder / "node-c"
    env = dict(scale.env_a, HOCTAP_INDEX_DIR=str(folder / "search-index"),
               HOCTAP_UPLOAD_DIR=str(folder / "uploads"))  # fmt: skip
    query = urllib.parse.urlencode({"q": "kỹ năng số", "per_page": 50})
    expected = call("GET", f"{scale.b}{RESOURCES}?{query}")[1]["total"]
    assert expected > 0
    answers: list[tuple[int, dict]] = []
    with gunicorn(env, scale.folder / "node-c.log", instance=folder) as c:
        threads = [
            threading.Thread(target=lambda: answers.append(call("GET", f"{c}{RESOURCES}?{query}")))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert [status for status, _ in answers] == [200] * 8, answers
    assert {body["total"] for _, body in answers} == {expected}
