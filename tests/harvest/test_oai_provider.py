"""Our `/oai` data provider: the six verbs, errors, tokens, deletions, and a round trip."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest
from lxml import etree
from oaipmh_scythe import Scythe
from sqlalchemy import select, update

from hoctap_learn import create_app
from hoctap_learn.catalog.files import import_rows
from hoctap_learn.catalog.models import Resource
from hoctap_learn.catalog.services import withdraw
from hoctap_learn.extensions import db as _db
from hoctap_learn.harvest import services
from hoctap_learn.harvest.runner import run_source

from ..catalog.conftest import ROWS, rows_as_dicts
from .servers import serve_wsgi

NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}
EVIL = (
    "t:evil", 'Tiêu đề <script>alert("x")</script> & "ngoặc"', "<b onmouseover=x>mô tả</b>",
    "", "An toàn", "", "bài báo", "vi", "", "CC BY 4.0", "https://example.org/evil", "2020",
)  # fmt: skip


@pytest.fixture
def catalog(app, db):
    import_rows(rows_as_dicts([*ROWS, EVIL]), source="test")
    db.session.commit()
    gone = db.session.scalar(select(Resource).where(Resource.identifier == "t:doi-moi"))
    withdraw(gone)
    db.session.commit()
    app.config["HOCTAP_OAI_PAGE_SIZE"] = 3


def oai(client, method="get", **args):
    response = getattr(client, method)("/oai", query_string=args if method == "get" else None,
                                       data=args if method == "post" else None)  # fmt: skip
    assert response.status_code == 200
    assert response.content_type == "text/xml; charset=utf-8"
    return etree.fromstring(response.data)


def error_code(root) -> str | None:
    node = root.find("o:error", NS)
    return node.get("code") if node is not None else None


def test_identify(client, catalog):
    root = oai(client, verb="Identify")
    assert root.findtext("o:Identify/o:protocolVersion", namespaces=NS) == "2.0"
    assert root.findtext("o:Identify/o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert root.findtext("o:Identify/o:deletedRecord", namespaces=NS) == "persistent"
    assert root.findtext("o:Identify/o:baseURL", namespaces=NS) == "http://localhost/oai"
    assert root.find("o:request", NS).get("verb") == "Identify"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Nonsense"}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "foo": "1"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "hôm qua"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01",
          "until": "2020-01-01T00:00:00Z"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-02-01",
          "until": "2020-01-01"}, "badArgument"),
        ({"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
         "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2999-01-01"},
         "noRecordsMatch"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "subject:khong-co"},
         "noRecordsMatch"),
        ({"verb": "ListIdentifiers", "resumptionToken": "gia-mao"}, "badResumptionToken"),
        ({"verb": "GetRecord", "identifier": "oai:hoctap:khong-co", "metadataPrefix": "oai_dc"},
         "idDoesNotExist"),
        ({"verb": "GetRecord", "identifier": "oai:hoctap:t:cds", "metadataPrefix": "x"},
         "cannotDisseminateFormat"),
        ({"verb": "ListMetadataFormats", "identifier": "oai:other:t:cds"}, "idDoesNotExist"),
        ({"verb": "Identify", "identifier": "x"}, "badArgument"),
    ],
)  # fmt: skip
def test_protocol_errors(client, catalog, args, code):
    root = oai(client, **args)
    assert error_code(root) == code
    request = root.find("o:request", NS)
    assert (request.attrib == {}) == (code in ("badVerb", "badArgument"))


def test_repeated_argument_is_bad(client, catalog):
    response = client.get("/oai?verb=Identify&verb=Identify")
    assert error_code(etree.fromstring(response.data)) == "badArgument"


def test_list_records_pages_with_tokens_and_deleted(client, catalog):
    seen, deleted, token, pages = [], [], None, 0
    while True:
        args = {"resumptionToken": token} if token else {"metadataPrefix": "oai_dc"}
        root = oai(client, verb="ListRecords", **args)
        pages += 1
        for record in root.iterfind("o:ListRecords/o:record", NS):
            header = record.find("o:header", NS)
            ident = header.findtext("o:identifier", namespaces=NS)
            (deleted if header.get("status") == "deleted" else seen).append(ident)
            if header.get("status") == "deleted":
                assert record.find("o:metadata", NS) is None
        node = root.find("o:ListRecords/o:resumptionToken", NS)
        assert node is not None and node.get("completeListSize") == "9"
        token = node.text
        if not token:
            break
    assert pages == 3
    assert deleted == ["oai:hoctap:t:doi-moi"]
    assert len(seen) == 8 and len(set(seen)) == 8


def test_token_of_another_verb_is_refused(client, catalog):
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = root.findtext("o:ListIdentifiers/o:resumptionToken", namespaces=NS)
    assert error_code(oai(client, verb="ListRecords", resumptionToken=token)) == (
        "badResumptionToken"
    )


def test_escaping_and_post(client, catalog):
    root = oai(client, "post", verb="GetRecord", identifier="oai:hoctap:t:evil",
               metadataPrefix="oai_dc")  # fmt: skip
    dc = root.find(".//{http://www.openarchives.org/OAI/2.0/oai_dc/}dc")
    assert dc.findtext("dc:title", namespaces=NS) == 'Tiêu đề & "ngoặc"'
    assert dc.findtext("dc:description", namespaces=NS) == "mô tả"
    assert b"<script" not in etree.tostring(root)


def test_sets(client, catalog):
    root = oai(client, verb="ListSets")
    specs = [s.text for s in root.iterfind("o:ListSets/o:set/o:setSpec", NS)]
    assert "type:sach" in specs and "subject:chuyen-doi-so" in specs and "type" in specs
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="subject:chuyen-doi-so")
    ids = [i.text for i in root.iterfind("o:ListIdentifiers/o:header/o:identifier", NS)]
    assert sorted(ids) == ["oai:hoctap:t:cds", "oai:hoctap:t:cds-dn"]
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="type:video")
    assert [i.text for i in root.iterfind(".//o:identifier", NS)] == ["oai:hoctap:t:cds-dn"]


def test_from_until(client, catalog, db):
    old = datetime(2021, 6, 1, 12, 0, 0, tzinfo=UTC)
    db.session.execute(
        update(Resource).where(Resource.identifier != "t:doi-moi").values(updated_at=old)
    )
    db.session.commit()
    resource = db.session.scalar(select(Resource).where(Resource.identifier == "t:doi-moi"))
    stamp = resource.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": stamp})
    ids = [i.text for i in root.iterfind(".//o:header/o:identifier", NS)]
    assert ids == ["oai:hoctap:t:doi-moi"]
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2021-06-01")
    assert len(root.findall(".//o:header", NS)) == 3  # first page of the 8 older ones
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc",
               until="2021-06-01T11:59:59Z")  # fmt: skip
    assert error_code(root) == "noRecordsMatch"
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2000-01-01")
    assert error_code(root) == "noRecordsMatch"


@pytest.fixture
def own_oai(sqlite_template, tmp_path):
    """Our app serving /oai from its own database, in a thread on 127.0.0.1."""
    path = tmp_path / "served.db"
    shutil.copy(sqlite_template, path)
    served = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "INSTANCE_PATH": tmp_path / "served", "HOCTAP_INDEX_DIR": str(tmp_path / "served-index"),
        "SECRET_KEY": "served", "HOCTAP_OAI_PAGE_SIZE": 3,
    })  # fmt: skip
    with served.app_context():
        import_rows(rows_as_dicts([*ROWS, EVIL]), source="test")
        _db.session.commit()
        withdraw(_db.session.scalar(select(Resource).where(Resource.identifier == "t:doi-moi")))
        _db.session.commit()
        expected = {
            r.identifier: (r.title, r.url, r.type, r.license, r.language, r.year, r.subjects,
                           r.description, r.publisher, r.creators, r.status)
            for r in _db.session.scalars(select(Resource))
        }  # fmt: skip
        _db.session.remove()
    url, stop = serve_wsgi(served)
    yield url + "/oai", expected
    stop()
    with served.app_context():
        _db.engine.dispose()


def test_round_trip_with_the_same_client(db, own_oai):
    url, expected = own_oai
    with Scythe(url) as scythe:
        records = list(scythe.list_records())
    assert len(records) == len(expected) == 9
    assert sum(r.deleted for r in records) == 1

    source = services.add_source(
        None, services.SourceInput(name="Kho của tỉnh", kind="oai-pmh", url=url)
    )
    db.session.commit()
    run = run_source(source)
    assert run.status == "succeeded" and run.pages == 3
    assert run.counts()["new"] == 8
    got = {
        r.identifier.removeprefix("kho-cua-tinh:oai:hoctap:"): (
            r.title, r.url, r.type, r.license, r.language, r.year, r.subjects, r.description,
            r.publisher, r.creators, r.status)
        for r in db.session.scalars(select(Resource))
    }  # fmt: skip
    active = {k: v for k, v in expected.items() if v[-1] == "active"}
    assert got == active
