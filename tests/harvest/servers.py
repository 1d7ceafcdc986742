"""Real servers on 127.0.0.1 for harvest tests: an OAI-PMH data provider built with the
`oaipmh` package (the maintained pyoai fork), wrapped so a test can make it misbehave,
plus a server that never answers."""

from __future__ import annotations

import http.server
import io
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from oaipmh import common, error, metadata
from oaipmh.server import BatchingServer, oai_dc_writer
from werkzeug.serving import make_server

BASE = datetime(2024, 3, 1, 8, 0, 0)  # naive UTC, as oaipmh expects


@dataclass
class Item:
    identifier: str
    datestamp: datetime
    sets: list[str]
    dc: dict[str, list[str]]
    deleted: bool = False


def sample_items(count: int = 35) -> dict[str, Item]:
    """≥30 records: books and videos in two sets, three deleted, a few bad ones."""
    items: dict[str, Item] = {}
    for n in range(1, count + 1):
        kind = "book" if n % 2 else "video"
        dc = {
            "title": [f"Học liệu mở số {n}: Kỹ năng số cho người dân"],
            "creator": [f"Tác giả {n}"],
            "subject": ["Chuyển đổi số; Kỹ năng số"],
            "description": [f"Mô tả học liệu {n}."],
            "publisher": ["Trường Đại học Bà Rịa - Vũng Tàu"],
            "date": [f"{2010 + n % 14}-05-01"],
            "type": ["Text" if kind == "book" else "MovingImage"],
            "format": ["application/pdf" if kind == "book" else "video/mp4"],
            "identifier": [f"urn:kho-thu:{n}", f"https://kho.example.edu.vn/item/{n}"],
            "language": ["vie"],
            "rights": ["https://creativecommons.org/licenses/by/4.0/"],
        }
        items[f"oai:kho-thu:{n}"] = Item(
            f"oai:kho-thu:{n}", BASE + timedelta(hours=n), [f"type:{kind}"], dc
        )
    items["oai:kho-thu:3"].dc["title"] = []  # rejected: no title
    items["oai:kho-thu:4"].dc["identifier"] = ["urn:kho-thu:4"]  # rejected: no URL
    items["oai:kho-thu:7"].dc["description"] = [
        '<p onclick="steal()">An toàn <b>thông tin</b></p><script>alert("xss")</script>'
    ]
    items["oai:kho-thu:8"].dc["title"] = ["Nhan đề rất dài " * 100]
    for n in (10, 20, 30):
        items[f"oai:kho-thu:{n}"].deleted = True
        items[f"oai:kho-thu:{n}"].dc = {}
    return items


class MemoryRepository:
    """An `IBatchingOAI` implementation over a dict, for oaipmh's BatchingServer."""

    def __init__(self, items: dict[str, Item]):
        self.items = items
        self.base_url = "http://127.0.0.1/oai"
        #: Resumption tokens refused (badResumptionToken) while this is > 0.
        self.expire_tokens = 0

    def touch(self, oai_id: str, **dc) -> None:
        """Change a record now (its datestamp moves to the present)."""
        item = self.items.get(oai_id)
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        if item is None:
            item = self.items[oai_id] = Item(oai_id, now, ["type:book"], {})
        item.dc.update(dc)
        item.datestamp = now

    def delete(self, oai_id: str) -> None:
        self.touch(oai_id)
        self.items[oai_id].deleted = True

    def identify(self):
        return common.Identify(
            repositoryName="Kho học liệu thử nghiệm",
            baseURL=self.base_url,
            protocolVersion="2.0",
            adminEmails=["kho@example.edu.vn"],
            earliestDatestamp=BASE,
            deletedRecord="persistent",
            granularity="YYYY-MM-DDThh:mm:ssZ",
            compression=["identity"],
        )

    def listMetadataFormats(self, identifier=None):
        if identifier is not None and identifier not in self.items:
            raise error.IdDoesNotExistError(identifier)
        return [
            (
                "oai_dc",
                "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                "http://www.openarchives.org/OAI/2.0/oai_dc/",
            )
        ]

    def listSets(self, cursor=0, batch_size=10):
        sets = [("type:book", "Sách", None), ("type:video", "Video", None)]
        return sets[cursor : cursor + batch_size]

    def _select(self, metadataPrefix, set=None, from_=None, until=None):
        if metadataPrefix != "oai_dc":
            raise error.CannotDisseminateFormatError(metadataPrefix)
        out = []
        for item in sorted(self.items.values(), key=lambda i: (i.datestamp, i.identifier)):
            if set and set not in item.sets:
                continue
            if from_ and item.datestamp < from_:
                continue
            if until and item.datestamp > until:
                continue
            out.append(item)
        return out

    def _check_cursor(self, cursor):
        if cursor and self.expire_tokens > 0:
            self.expire_tokens -= 1
            raise error.BadResumptionTokenError("Resumption token expired.")

    @staticmethod
    def _header(item):
        return common.Header(None, item.identifier, item.datestamp, item.sets, item.deleted)

    def listIdentifiers(self, metadataPrefix, set=None, from_=None, until=None, cursor=0,
                        batch_size=10):  # fmt: skip
        self._check_cursor(cursor)
        items = self._select(metadataPrefix, set, from_, until)[cursor : cursor + batch_size]
        return [self._header(i) for i in items]

    def listRecords(self, metadataPrefix, set=None, from_=None, until=None, cursor=0,
                    batch_size=10):  # fmt: skip
        self._check_cursor(cursor)
        items = self._select(metadataPrefix, set, from_, until)[cursor : cursor + batch_size]
        return [(self._header(i), common.Metadata(None, i.dc), None) for i in items]

    def getRecord(self, metadataPrefix, identifier):
        item = self.items.get(identifier)
        if item is None:
            raise error.IdDoesNotExistError(identifier)
        return self._header(item), common.Metadata(None, item.dc), None


@dataclass
class OaiServer:
    """The oaipmh Server behind a WSGI app that can misbehave on purpose."""

    repository: MemoryRepository
    page_size: int = 7
    #: Faults for the next requests, consumed one per request:
    #: ("503", "Retry-After value" | None), ("malformed",), ("html",),
    #: ("slow", seconds): answer normally after a delay (longer than the client's timeout
    #: makes a timeout),
    #: ("answer", status, content type, body bytes, Retry-After | None): any answer,
    #: ("huge", size, how): an OAI-PMH-looking body of `size` bytes sent as
    #: "chunked" (no Content-Length), "gzip" (small on the wire, `size` decoded) or
    #: "declared" (an honest Content-Length),
    #: ("gate", arrived, release): set the `arrived` event, then hold the answer until the
    #: test sets `release` (at most a minute); None: answer normally.
    faults: deque = field(default_factory=deque)
    requests: list = field(default_factory=list)
    url: str = ""
    #: Bytes of "huge" bodies actually handed to the server (it stops when the client
    #: hangs up).
    huge_sent: int = 0

    def __post_init__(self):
        registry = metadata.MetadataRegistry()
        registry.registerWriter("oai_dc", oai_dc_writer)
        self.server = BatchingServer(
            self.repository, metadata_registry=registry, resumption_batch_size=self.page_size
        )

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            query = environ["wsgi.input"].read(length).decode()
        args = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        self.requests.append(args)
        fault = self.faults.popleft() if self.faults else None
        if fault and fault[0] == "slow":
            time.sleep(fault[1])
        if fault and fault[0] == "gate":
            fault[1].set()
            fault[2].wait(60)
        if fault and fault[0] == "503":
            headers = [("Content-Type", "text/html")]
            if fault[1] is not None:
                headers.append(("Retry-After", fault[1]))
            start_response("503 Service Unavailable", headers)
            return [b"<html><body>B\xe1\xba\xa3o tr\xc3\xac</body></html>"]
        if fault and fault[0] == "answer":
            _, status, content_type, body, retry_after = fault
            headers = [("Content-Type", content_type)]
            if retry_after is not None:
                headers.append(("Retry-After", retry_after))
            start_response(status, headers)
            return [body]
        if fault and fault[0] == "huge":
            return self._huge(start_response, *fault[1:])
        if fault and fault[0] == "html":
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [b"<html><body><p>Trang ch\xe1\xbb\xa7</p></body></html>"]
        body = self.server.handleRequest(args)
        if fault and fault[0] == "malformed":
            body = body[: len(body) // 2]  # cut in the middle of a record
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [body]


    def _huge(self, start_response, size: int, how: str):
        head = (
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><!-- '
        )
        chunk = b"x" * 65536

        def body():
            yield head
            sent = len(head)
            while sent < size:
                yield chunk
                sent += len(chunk)
                self.huge_sent = sent

        headers = [("Content-Type", "text/xml; charset=utf-8")]
        if how == "gzip":
            import gzip

            packed = io.BytesIO()
            with gzip.GzipFile(fileobj=packed, mode="wb") as out:
                for part in body():
                    out.write(part)
            data = packed.getvalue()
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(data)))]
            start_response("200 OK", headers)
            return [data]
        if how == "declared":
            headers.append(("Content-Length", str(size + len(head))))
        start_response("200 OK", headers)
        return body()


def serve_wsgi(app, host: str = "127.0.0.1"):
    """Start `app` on `host` (a loopback address) in a thread; returns (base URL, stop)."""
    server = make_server(host, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(timeout=10)

    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{server.server_port}", stop


def redirector(target: str, hops: list | None = None):
    """A WSGI app answering every request with a 302 to `target` (a URL, or a callable of
    the request path), recording each request's path in `hops`."""

    def app(environ, start_response):
        query = environ.get("QUERY_STRING")
        path = environ["PATH_INFO"] + (f"?{query}" if query else "")
        if hops is not None:
            hops.append(path)
        location = target(path) if callable(target) else target
        start_response("302 Found", [("Location", location), ("Content-Length", "0")])
        return [b""]

    return app


class _SilentHandler(http.server.BaseHTTPRequestHandler):
    """Reads the request, then says nothing for longer than any client waits."""

    delay = 5.0

    def do_GET(self):  # noqa: N802 (http.server API)
        time.sleep(self.delay)
        try:
            self.send_response(200)
            self.end_headers()
        except OSError:
            pass

    def log_message(self, *args):
        pass


def serve_silent():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SilentHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    return f"http://127.0.0.1:{server.server_address[1]}/oai", stop


def closed_port_url() -> str:
    """A URL on a loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/oai"
