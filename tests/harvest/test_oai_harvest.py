"""Harvesting a real OAI-PMH repository (oaipmh's Server on loopback)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from hoctap_learn import search
from hoctap_learn.catalog.models import Resource
from hoctap_learn.core.errors import ValidationError
from hoctap_learn.harvest import services
from hoctap_learn.harvest.models import HarvestRun
from hoctap_learn.harvest.runner import run_source


def add(db, url, name="Kho thử", **kw):
    source = services.add_source(
        None, services.SourceInput(name=name, kind="oai-pmh", url=url, **kw)
    )
    db.session.commit()
    return source


def resources(db, **where):
    stmt = select(Resource)
    for key, value in where.items():
        stmt = stmt.where(getattr(Resource, key) == value)
    return db.session.scalars(stmt).all()


def test_add_validates_with_identify(db, oai_server):
    source = add(db, oai_server.url)
    assert source.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert source.deleted_record == "persistent"
    assert source.repository_name == "Kho học liệu thử nghiệm"
    assert source.slug == "kho-thu"
    assert oai_server.requests[0] == {"verb": "Identify"}


def test_add_refuses_something_that_is_not_oai(db, oai_server):
    oai_server.faults.append(("html",))
    not_oai = r"Không tải được \(lý do: nội dung không phải OAI-PMH\)"
    with pytest.raises(ValidationError, match=not_oai):
        add(db, oai_server.url, name="Sai")
    db.session.rollback()
    assert services.list_sources() == []


def test_full_harvest(db, oai_server):
    source = add(db, oai_server.url)
    run = run_source(source)
    assert run.status == "partial"  # two records refused
    assert run.pages == 5  # 35 records, 7 per page
    assert run.counts() == {
        "new": 30, "updated": 0, "unchanged": 0, "withdrawn": 0, "duplicates": 0, "rejected": 2,
    }  # fmt: skip
    assert len([r for r in oai_server.requests if "resumptionToken" in r]) == 4
    errors = {e["identifier"]: e["message"] for e in run.errors if e["level"] == "error"}
    assert errors == {
        "oai:kho-thu:3": "thiếu nhan đề (title)",
        "oai:kho-thu:4": "thiếu đường dẫn (url)",
    }
    notes = [e for e in run.errors if e["level"] == "note"]
    assert notes[0]["identifier"] == "oai:kho-thu:8" and "cắt bớt" in notes[0]["message"]

    one = resources(db, identifier="kho-thu:oai:kho-thu:1")[0]
    assert one.url == "https://kho.example.edu.vn/item/1"
    assert (one.type, one.license, one.language, one.year) == ("tham-khao", "cc-by-4.0", "vi", 2011)
    assert one.subjects == ["Chuyển đổi số", "Kỹ năng số"]
    assert one.publisher == "Trường Đại học Bà Rịa - Vũng Tàu"
    assert one.source == "harvest:kho-thu"
    assert resources(db, identifier="kho-thu:oai:kho-thu:2")[0].type == "video"
    assert len(resources(db, identifier="kho-thu:oai:kho-thu:8")[0].title) == 1000

    # sanitized: nothing of the script or the event handler is stored
    seven = resources(db, identifier="kho-thu:oai:kho-thu:7")[0]
    assert seven.description == "An toàn thông tin"

    # the next run starts from the first page's responseDate
    assert source.harvested_until == run.from_datestamp or source.harvested_until.endswith("Z")
    assert run.from_datestamp is None

    # searchable without diacritics once committed
    result = search.search(search.SearchParams(q="chuyen doi so"))
    assert result.total == 30


def test_same_harvest_again_changes_nothing(db, oai_server):
    source = add(db, oai_server.url)
    run_source(source)
    source.harvested_until = None  # force a full re-harvest
    db.session.commit()
    again = run_source(source)
    assert again.counts()["unchanged"] == 30 and again.counts()["new"] == 0
    assert db.session.scalar(select(func.count()).select_from(Resource)) == 30


def test_incremental_harvest_after_changes(db, oai_server):
    source = add(db, oai_server.url)
    first = run_source(source)
    since = source.harvested_until
    repo = oai_server.repository
    repo.touch("oai:kho-thu:5", title=["Học liệu số 5 (bản mới)"])
    repo.delete("oai:kho-thu:6")
    repo.touch(
        "oai:kho-thu:99",
        title=["Bài giảng mới về an ninh mạng"],
        identifier=["https://kho.example.edu.vn/item/99"],
        type=["Bài giảng"],
    )
    oai_server.requests.clear()
    run = run_source(source)
    assert run.id != first.id and run.status == "succeeded"
    assert run.from_datestamp == since
    assert oai_server.requests[0]["from"] == since
    assert run.counts() == {
        "new": 1, "updated": 1, "unchanged": 0, "withdrawn": 1, "duplicates": 0, "rejected": 0,
    }  # fmt: skip
    assert resources(db, identifier="kho-thu:oai:kho-thu:5")[0].title == "Học liệu số 5 (bản mới)"
    six = resources(db, identifier="kho-thu:oai:kho-thu:6")[0]
    assert six.status == "withdrawn"  # kept in the database, hidden from search
    assert search.search(search.SearchParams(q="hoc lieu mo so 6")).total == 0 or all(
        hit["identifier"] != six.identifier
        for hit in search.search(search.SearchParams(q="hoc lieu mo so 6")).results
    )
    assert resources(db, identifier="kho-thu:oai:kho-thu:99")[0].type == "bai-giang"


def test_nothing_new_is_no_records_match(db, oai_server):
    source = add(db, oai_server.url)
    run_source(source)
    oai_server.requests.clear()
    run = run_source(source)
    assert run.status == "succeeded" and run.pages == 0
    assert sum(run.counts().values()) == 0


def test_set_harvest(db, oai_server):
    source = add(db, oai_server.url, oai_set="type:video")
    run = run_source(source)
    assert oai_server.requests[-run.pages]["set"] == "type:video"
    assert {r.type for r in resources(db)} == {"video"}
    assert run.counts()["new"] == 13  # 17 videos: 3 deleted, 1 without URL


def test_bad_resumption_token_restarts_from_stored_from(db, oai_server):
    source = add(db, oai_server.url)
    oai_server.repository.expire_tokens = 1
    run = run_source(source)
    assert run.status == "partial"
    assert run.counts()["new"] == 30
    assert any("badResumptionToken" in e["message"] for e in run.errors)
    starts = [
        r for r in oai_server.requests if r.get("verb") == "ListRecords" and "metadataPrefix" in r
    ]
    assert len(starts) == 2


def test_token_refused_again_and_again_fails(db, oai_server):
    source = add(db, oai_server.url)
    oai_server.repository.expire_tokens = 100
    run = run_source(source)
    assert run.status == "failed"
    assert "badResumptionToken" in run.message
    # the first page of each attempt was committed; nothing is half-written
    assert len(resources(db)) == 5  # records 1-7 but 3 and 4


def test_same_url_from_two_sources_is_shown_once(db, oai_server):
    first = add(db, oai_server.url, name="Kho A")
    run_source(first)
    second = add(db, oai_server.url, name="Kho B", oai_set="type:book")
    run = run_source(second)
    assert run.counts()["duplicates"] == 17 and run.counts()["new"] == 0
    assert "trùng đường dẫn" in run.errors[-1]["message"]
    urls = [r.url for r in resources(db, status="active")]
    assert len(urls) == len(set(urls)) == 30


def test_double_start_is_refused(db, oai_server):
    from hoctap_learn.core.errors import Conflict
    from hoctap_learn.harvest.runner import start_run

    source = add(db, oai_server.url)
    start_run(source)
    with pytest.raises(Conflict, match="đang được thu thập"):
        run_source(source)
    db.session.rollback()
    runs = db.session.scalars(select(HarvestRun)).all()
    assert [r.status for r in runs] == ["running"]


def test_double_start_from_another_connection(app, db, oai_server):
    """The database refuses the second `running` row even from another session."""
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    source = add(db, oai_server.url)
    from hoctap_learn.harvest.runner import start_run

    start_run(source)
    with Session(db.engine) as other:
        other.add(HarvestRun(source_id=source.id, status="running"))
        with pytest.raises(IntegrityError):
            other.commit()


def test_cli_add_run_runs(runner, db, oai_server):
    added = runner.invoke(
        args=["harvest", "add", "--kind", "oai-pmh", "--url", oai_server.url, "--name", "Kho thử",
              "--json"]
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    first = runner.invoke(args=["harvest", "run", "kho-thu", "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert (data["status"], data["new"], data["rejected"], data["from"]) == ("partial", 30, 2, None)
    oai_server.repository.touch("oai:kho-thu:1", title=["Đã sửa"])
    second = json.loads(runner.invoke(args=["harvest", "run", "--all", "--json"]).stdout)
    assert [(r["status"], r["updated"], r["new"]) for r in second] == [("succeeded", 1, 0)]
    runs = json.loads(runner.invoke(args=["harvest", "runs", "--json"]).stdout)
    assert [r["run"] for r in runs] == [second[0]["run"], data["run"]]
    text = runner.invoke(args=["harvest", "runs"]).output
    assert "30 mới" in text and "thiếu nhan đề" in text


def test_cli_run_all_without_sources(runner, db):
    assert runner.invoke(args=["harvest", "run", "--all"]).output == (
        "Không có nguồn nào đang bật.\n"
    )
    assert runner.invoke(args=["harvest", "run", "--all", "--json"]).output.strip() == "[]"


def test_cli_errors(runner, db, oai_server):
    missing = runner.invoke(args=["harvest", "run", "khong-co", "--json"])
    assert missing.exit_code == 1
    assert json.loads(missing.stdout) == {"error": "Không tìm thấy nguồn thu thập “khong-co”."}
    neither = runner.invoke(args=["harvest", "run"])
    assert neither.exit_code == 1 and "--all" in neither.output
    bad = runner.invoke(
        args=["harvest", "add", "--kind", "oai-pmh", "--url", "ftp://x", "--name", "X"]
    )
    assert bad.exit_code == 1 and "http://" in bad.output


def test_disabled_source_is_not_run(runner, db, oai_server):
    source = add(db, oai_server.url)
    runner.invoke(args=["harvest", "enable", "kho-thu", "--off"])
    db.session.refresh(source)
    assert source.enabled is False
    with pytest.raises(ValidationError, match="đang tắt"):
        run_source(source)
    assert json.loads(runner.invoke(args=["harvest", "run", "--all", "--json"]).stdout) == []
    refused = runner.invoke(args=["harvest", "run", "kho-thu", "--json"])
    assert refused.exit_code == 1 and "đang tắt" in refused.output
