"""OAI-PMH harvesting, one page (response) at a time.

oaipmh-scythe gives the record model and the OAI-PMH error classes; the requests are ours.
Scythe's own client builds an `httpx2.Client` nobody can give a transport to (so the
address guard could not apply), reads bodies without a cap, and looks for OAI-PMH
``<error>`` elements before the HTTP status — on a non-XML answer (a plain-text 503, an
empty body) its recovering parser yields nothing and it failed with an AttributeError.
Here every request goes through `fetch.Fetcher` (guard, size cap, Retry-After in seconds
*or* as an HTTP date, whatever the body), the status is checked before the body, the XML
parse is strict (a recovering parser would lose records of a broken page without a word),
and the module adds the page boundaries (the runner commits per page) and a restart from
the original ``from`` when the repository forgets a resumption token.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree
from oaipmh_scythe import exceptions as oai_errors
from oaipmh_scythe.models import Header, Record

from .fetch import NOT_OAI, Fetcher, HarvestFailure, RetryPolicy, could_not_fetch

NS = "{http://www.openarchives.org/OAI/2.0/}"
DAY_GRANULARITY = "YYYY-MM-DD"
SECONDS_GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
#: How often one run may start over after badResumptionToken.
MAX_RESTARTS = 2
_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
log = logging.getLogger(__name__)


@dataclass
class RepositoryInfo:
    name: str
    granularity: str
    deleted_record: str
    earliest: str | None


@dataclass
class HarvestedRecord:
    identifier: str
    datestamp: str | None
    deleted: bool
    #: Dublin Core element name → values (text of each element, markup flattened).
    dc: dict[str, list[str]] = field(default_factory=dict)
    sets: list[str] = field(default_factory=list)


@dataclass
class Page:
    records: list[HarvestedRecord]
    response_date: str | None
    #: completeListSize from the resumption token, when the repository tells.
    total: int | None = None
    restarted: bool = False


def _oai_message(error: oai_errors.OAIPMHException) -> str:
    code = type(error).__name__
    text = str(error).strip()[:300]
    return f"Kho OAI-PMH trả lỗi {code[0].lower() + code[1:]}" + (f": {text}" if text else ".")


def _oai_error(root: etree._Element) -> oai_errors.OAIPMHException | None:
    """The exception for the first OAI-PMH ``<error>`` of a response, if any."""
    node = root.find(f"{NS}error")
    if node is None:
        return None
    code = (node.get("code") or "").strip()
    name = code[:1].upper() + code[1:]
    error_class = getattr(oai_errors, name, None) if name.isalpha() else None
    if not (isinstance(error_class, type) and issubclass(error_class, oai_errors.OAIPMHException)):
        error_class = oai_errors.GeneralOAIPMHError
    return error_class((node.text or "").strip())


def _parse(content: bytes) -> etree._Element | None:
    """The OAI-PMH root element, or None when the body is not XML at all."""
    if not content.strip():
        return None
    try:
        root = etree.fromstring(content, parser=_STRICT)
    except etree.XMLSyntaxError as error:
        if b"<OAI-PMH" not in content[:2048]:
            return None  # an HTML page, plain text: not a broken OAI-PMH page
        raise HarvestFailure(
            f"Kho OAI-PMH trả về XML hỏng ({error.msg}, dòng {error.lineno}); "
            "trang này không được nhập."
        ) from error
    return root if root.tag == f"{NS}OAI-PMH" else None


class OaiClient:
    def __init__(self, url: str, policy: RetryPolicy):
        self.url = url
        self.policy = policy
        self.fetcher = Fetcher(
            policy, headers={"Accept": "text/xml; charset=utf-8, application/xml; charset=utf-8"}
        )

    def close(self) -> None:
        self.fetcher.close()

    def __enter__(self) -> OaiClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, query: dict[str, str]) -> etree._Element:
        """One OAI-PMH request → the parsed OAI-PMH root element.

        Raises the OAI-PMH error the repository answered (oaipmh_scythe's classes), or
        `HarvestFailure`: HTTP errors, non-OAI-PMH content, broken XML.
        """
        fetched = self.fetcher.get(self.url, params=query)
        if fetched.status >= 400:
            # Some repositories send their OAI-PMH <error> with a 4xx: keep its meaning.
            try:
                root = _parse(fetched.content)
            except HarvestFailure:
                root = None
            error = _oai_error(root) if root is not None else None
            if error is not None:
                raise error
            raise could_not_fetch(f"máy chủ trả lỗi HTTP {fetched.status}")
        root = _parse(fetched.content)
        if root is None:
            log.warning(
                "harvest: %s answered %s (%s, %d bytes), not OAI-PMH",
                self.url, fetched.status, fetched.headers.get("content-type"),
                len(fetched.content),
            )  # fmt: skip
            raise could_not_fetch(NOT_OAI)
        error = _oai_error(root)
        if error is not None:
            raise error
        return root

    def identify(self) -> RepositoryInfo:
        try:
            root = self.request({"verb": "Identify"})
        except oai_errors.OAIPMHException as error:
            raise HarvestFailure(_oai_message(error)) from error
        node = root.find(f"{NS}Identify")
        if node is None:
            raise HarvestFailure("Kho OAI-PMH không trả lời Identify.")
        granularity = (node.findtext(f"{NS}granularity") or "").strip()
        if granularity not in (DAY_GRANULARITY, SECONDS_GRANULARITY):
            raise HarvestFailure(f"Kho OAI-PMH khai báo granularity lạ: “{granularity[:40]}”.")
        return RepositoryInfo(
            name=(node.findtext(f"{NS}repositoryName") or "").strip()[:500],
            granularity=granularity,
            deleted_record=(node.findtext(f"{NS}deletedRecord") or "no").strip()[:20],
            earliest=(node.findtext(f"{NS}earliestDatestamp") or "").strip() or None,
        )

    def supports(self, prefix: str) -> bool:
        try:
            root = self.request({"verb": "ListMetadataFormats"})
        except oai_errors.OAIPMHException as error:
            raise HarvestFailure(_oai_message(error)) from error
        return prefix in [(e.text or "").strip() for e in root.iter(f"{NS}metadataPrefix")]

    def list_records(
        self, from_: str | None, set_: str | None, prefix: str = "oai_dc"
    ) -> Iterator[Page]:
        """Pages of ListRecords, following resumption tokens.

        noRecordsMatch yields nothing; badResumptionToken starts over from `from_`
        (records seen again are simply "unchanged"), at most `MAX_RESTARTS` times.
        """
        first = {"verb": "ListRecords", "metadataPrefix": prefix}
        if from_:
            first["from"] = from_
        if set_:
            first["set"] = set_
        query, restarts, restarted = first, 0, False
        while True:
            try:
                root = self.request(query)
            except oai_errors.NoRecordsMatch:
                return
            except oai_errors.BadResumptionToken as error:
                if query is first or restarts >= MAX_RESTARTS:
                    raise HarvestFailure(_oai_message(error)) from error
                restarts += 1
                query, restarted = first, True
                continue
            except oai_errors.OAIPMHException as error:
                raise HarvestFailure(_oai_message(error)) from error
            container = root.find(f"{NS}ListRecords")
            if container is None:
                raise HarvestFailure("Kho OAI-PMH trả lời ListRecords không đúng cấu trúc.")
            token = container.find(f"{NS}resumptionToken")
            total = None
            if token is not None and (token.get("completeListSize") or "").isdigit():
                total = int(token.get("completeListSize"))
            yield Page(
                records=[_record(node) for node in container.iterfind(f"{NS}record")],
                response_date=(root.findtext(f"{NS}responseDate") or "").strip() or None,
                total=total,
                restarted=restarted,
            )
            restarted = False
            token_text = (token.text or "").strip() if token is not None else ""
            if not token_text:
                return
            query = {"verb": "ListRecords", "resumptionToken": token_text}


def _record(node: etree._Element) -> HarvestedRecord:
    try:
        record = Record(node)
    except ValueError as error:
        raise HarvestFailure("Kho OAI-PMH trả về bản ghi không có phần header.") from error
    header: Header = record.header
    dc: dict[str, list[str]] = {}
    metadata = node.find(f"{NS}metadata")
    if not record.deleted and metadata is not None and len(metadata):
        for element in metadata[0]:
            if not isinstance(element.tag, str):
                continue  # comments, processing instructions
            name = etree.QName(element).localname
            value = "".join(element.itertext()).strip()
            if value:
                dc.setdefault(name, []).append(value)
    return HarvestedRecord(
        identifier=(header.identifier or "").strip(),
        datestamp=(header.datestamp or "").strip() or None,
        deleted=record.deleted,
        dc=dc,
        sets=[s for s in header.setSpecs if s],
    )


def next_from(response_date: str | None, granularity: str | None) -> str | None:
    """The ``from`` of the next incremental run, at the repository's granularity."""
    if not response_date:
        return None
    if granularity == DAY_GRANULARITY:
        return response_date[:10]
    return response_date
