"""OAI-PMH 2.0 responses built with lxml from the catalog.

- Identifiers: ``oai:<HOCTAP_OAI_REPOSITORY_ID>:<resource identifier>``.
- Datestamps: `Resource.updated_at`, second granularity (UTC).
- Deleted records: withdrawn resources (kept in the database) are reported with
  ``status="deleted"``; ``deletedRecord`` is ``persistent`` because nothing deletes rows.
- Sets: ``type:<code>`` per controlled type and ``subject:<slug>`` per subject, under the
  parent sets ``type`` and ``subject``.
- Resumption tokens are signed (itsdangerous), stateless and expire after
  HOCTAP_OAI_TOKEN_MAX_AGE; they carry the original arguments and the last id sent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..catalog.models import Resource, ResourceSubject
from ..catalog.vocab import TYPES, license_name, slugify
from ..core.types import utcnow
from ..extensions import db

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
DC_SCHEMA = f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"

#: verb → (required arguments, optional arguments); resumptionToken is exclusive.
VERBS = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class OaiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _q(name: str) -> str:
    return f"{{{OAI_NS}}}{name}"


def _text(value) -> str:
    """Anything as XML-safe text (lxml escapes markup; this drops illegal characters)."""
    return _NOT_XML.sub("", str(value))


def _sub(parent, name: str, text=None, ns: str = OAI_NS, **attrs):
    element = etree.SubElement(parent, f"{{{ns}}}{name}", {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def datestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_date(value: str, name: str, end: bool) -> datetime:
    try:
        if _DAY.match(value):
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return day + timedelta(days=1) if end else day
        if _SECOND.match(value):
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            return moment + timedelta(seconds=1) if end else moment
    except ValueError:
        pass
    raise OaiError("badArgument", f"Invalid {name} datestamp: {value[:40]}")


# --- arguments and tokens --------------------------------------------------------------------


def _arguments(pairs) -> tuple[str, dict[str, str]]:
    args: dict[str, str] = {}
    for key, value in pairs:
        if key in args:
            raise OaiError("badArgument", f"Repeated argument: {key[:40]}")
        args[key] = value
    verb = args.pop("verb", None)
    if verb not in VERBS:
        raise OaiError("badVerb", "Missing or illegal verb.")
    required, optional = VERBS[verb]
    unknown = set(args) - required - optional
    if unknown:
        raise OaiError("badArgument", "Illegal argument: " + ", ".join(sorted(unknown))[:200])
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument.")
        return verb, args
    missing = required - set(args)
    if missing:
        raise OaiError("badArgument", "Missing argument: " + ", ".join(sorted(missing)))
    return verb, args


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="oai-pmh-token")


def _decode_token(verb: str, token: str) -> dict:
    try:
        state = _serializer().loads(
            token, max_age=int(current_app.config["HOCTAP_OAI_TOKEN_MAX_AGE"])
        )
    except SignatureExpired as error:
        raise OaiError("badResumptionToken", "The resumptionToken has expired.") from error
    except BadSignature as error:
        raise OaiError("badResumptionToken", "Invalid resumptionToken.") from error
    if not isinstance(state, dict) or state.get("verb") != verb:
        raise OaiError("badResumptionToken", "The resumptionToken is for another verb.")
    return state


# --- queries ---------------------------------------------------------------------------------


def _oai_id(resource: Resource) -> str:
    return f"oai:{current_app.config['HOCTAP_OAI_REPOSITORY_ID']}:{resource.identifier}"


def _local_id(oai_identifier: str) -> str:
    prefix = f"oai:{current_app.config['HOCTAP_OAI_REPOSITORY_ID']}:"
    if not oai_identifier.startswith(prefix):
        raise OaiError("idDoesNotExist", "Unknown identifier.")
    return oai_identifier[len(prefix) :]


def _find(oai_identifier: str) -> Resource:
    resource = db.session.scalar(
        select(Resource).where(Resource.identifier == _local_id(oai_identifier))
    )
    if resource is None:
        raise OaiError("idDoesNotExist", "Unknown identifier.")
    return resource


def _subject_sets() -> dict[str, str]:
    """setSpec → subject, for subjects of any resource (withdrawn ones too: deletions)."""
    out: dict[str, str] = {}
    for subject in db.session.scalars(
        select(ResourceSubject.subject).distinct().order_by(ResourceSubject.subject)
    ):
        out.setdefault(f"subject:{slugify(subject)}", subject)
    return out


def _set_filter(stmt, spec: str):
    if spec == "type":
        return stmt
    if spec.startswith("type:") and spec[5:] in TYPES:
        return stmt.where(Resource.type == spec[5:])
    if spec == "subject":
        return stmt.where(Resource.subject_rows.any())
    if spec.startswith("subject:"):
        names = [s for k, s in _subject_sets().items() if k == spec]
        if names:
            return stmt.where(Resource.subject_rows.any(ResourceSubject.subject.in_(names)))
    raise OaiError("noRecordsMatch", "No such set.")


def _selection(state: dict):
    stmt = select(Resource)
    if state.get("from"):
        stmt = stmt.where(Resource.updated_at >= _parse_date(state["from"], "from", False))
    if state.get("until"):
        stmt = stmt.where(Resource.updated_at < _parse_date(state["until"], "until", True))
    if state.get("set"):
        stmt = _set_filter(stmt, state["set"])
    return stmt


def _list_state(verb: str, args: dict) -> dict:
    if "resumptionToken" in args:
        return _decode_token(verb, args["resumptionToken"])
    if args["metadataPrefix"] != "oai_dc":
        raise OaiError("cannotDisseminateFormat", "Only oai_dc is supported.")
    start, end = args.get("from"), args.get("until")
    if start and end:
        if len(start) != len(end):
            raise OaiError("badArgument", "from and until have different granularities.")
        if _parse_date(start, "from", False) > _parse_date(end, "until", False):
            raise OaiError("badArgument", "from is later than until.")
    state = {"verb": verb, "from": start, "until": end, "set": args.get("set"), "after": 0}
    _selection(state)  # validates dates and the set before anything is sent
    return {**state, "cursor": 0}


# --- responses -------------------------------------------------------------------------------


def _envelope(base_url: str, verb: str | None, args: dict) -> etree._Element:
    root = etree.Element(_q("OAI-PMH"), nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", OAI_SCHEMA)
    _sub(root, "responseDate", datestamp(utcnow()))
    request = _sub(root, "request", base_url)
    if verb is not None:
        request.set("verb", verb)
        for key, value in args.items():
            request.set(key, _text(value))
    return root


def _header(parent, resource: Resource) -> None:
    header = _sub(parent, "header")
    if resource.status != "active":
        header.set("status", "deleted")
    _sub(header, "identifier", _oai_id(resource))
    _sub(header, "datestamp", datestamp(resource.updated_at))
    _sub(header, "setSpec", f"type:{resource.type}")
    for subject in resource.subjects:
        _sub(header, "setSpec", f"subject:{slugify(subject)}")


def _oai_dc(parent, resource: Resource) -> None:
    dc = etree.SubElement(
        parent, f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
    )
    dc.set(f"{{{XSI_NS}}}schemaLocation", DC_SCHEMA)
    values = [("title", resource.title)]
    values += [("creator", c) for c in resource.creators]
    values += [("subject", s) for s in resource.subjects]
    values += [("description", resource.description)] if resource.description else []
    values += [("publisher", resource.publisher)] if resource.publisher else []
    values += [("contributor", c) for c in resource.contributors]
    values += [("date", str(resource.year))] if resource.year else []
    values += [("type", TYPES[resource.type])]
    values += [("format", resource.format)] if resource.format else []
    values += [("identifier", resource.url)]
    values += [("language", resource.language)] if resource.language else []
    values += [("rights", resource.rights or license_name(resource.license))]
    for name, value in values:
        _sub(dc, name, value, ns=DC_NS)


def _record(parent, resource: Resource) -> None:
    record = _sub(parent, "record")
    _header(record, resource)
    if resource.status == "active":
        _oai_dc(_sub(record, "metadata"), resource)


def _identify(root, base_url: str) -> None:
    config = current_app.config
    node = _sub(root, "Identify")
    _sub(node, "repositoryName", config["HOCTAP_OAI_REPOSITORY_NAME"])
    _sub(node, "baseURL", base_url)
    _sub(node, "protocolVersion", "2.0")
    _sub(node, "adminEmail", config["HOCTAP_OAI_ADMIN_EMAIL"])
    earliest = db.session.scalar(select(func.min(Resource.updated_at)))
    _sub(node, "earliestDatestamp", datestamp(earliest or utcnow()))
    _sub(node, "deletedRecord", "persistent")
    _sub(node, "granularity", GRANULARITY)


def _list(root, verb: str, args: dict) -> None:
    state = _list_state(verb, args)
    size = int(current_app.config["HOCTAP_OAI_PAGE_SIZE"])
    base = _selection(state)
    stmt = (
        base.where(Resource.id > state["after"])
        .order_by(Resource.id)
        .limit(size + 1)
        .options(selectinload(Resource.subject_rows), selectinload(Resource.provider))
    )
    rows = db.session.scalars(stmt).all()
    if not rows and state["cursor"] == 0:
        raise OaiError("noRecordsMatch", "No records match the request.")
    container = _sub(root, verb)
    for resource in rows[:size]:
        (_record if verb == "ListRecords" else _header)(container, resource)
    if len(rows) > size or state["cursor"]:
        total = db.session.scalar(select(func.count()).select_from(base.subquery()))
        token = _sub(container, "resumptionToken", completeListSize=total, cursor=state["cursor"])
        if len(rows) > size:
            next_state = {**state, "after": rows[size - 1].id, "cursor": state["cursor"] + size}
            token.text = _serializer().dumps(next_state)
            expires = utcnow() + timedelta(
                seconds=int(current_app.config["HOCTAP_OAI_TOKEN_MAX_AGE"])
            )
            token.set("expirationDate", datestamp(expires))


def _list_sets(root, args: dict) -> None:
    if "resumptionToken" in args:
        raise OaiError("badResumptionToken", "ListSets has no resumption.")
    container = _sub(root, "ListSets")
    sets = [("type", "Loại học liệu")]
    sets += [(f"type:{code}", label) for code, label in TYPES.items()]
    sets += [("subject", "Chủ đề")]
    sets += [(spec, subject) for spec, subject in _subject_sets().items()]
    for spec, name in sets:
        node = _sub(container, "set")
        _sub(node, "setSpec", spec)
        _sub(node, "setName", name)


def _metadata_formats(root, args: dict) -> None:
    if "identifier" in args:
        _find(args["identifier"])
    node = _sub(_sub(root, "ListMetadataFormats"), "metadataFormat")
    _sub(node, "metadataPrefix", "oai_dc")
    _sub(node, "schema", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd")
    _sub(node, "metadataNamespace", OAI_DC_NS)


def _get_record(root, args: dict) -> None:
    resource = _find(args["identifier"])
    if args["metadataPrefix"] != "oai_dc":
        raise OaiError("cannotDisseminateFormat", "Only oai_dc is supported.")
    _record(_sub(root, "GetRecord"), resource)


def respond(pairs, base_url: str) -> bytes:
    """The response document for the request's (name, value) pairs."""
    verb, args = None, {}
    try:
        verb, args = _arguments(pairs)
        root = _envelope(base_url, verb, args)
        if verb == "Identify":
            _identify(root, base_url)
        elif verb == "ListMetadataFormats":
            _metadata_formats(root, args)
        elif verb == "ListSets":
            _list_sets(root, args)
        elif verb == "GetRecord":
            _get_record(root, args)
        else:
            _list(root, verb, args)
    except OaiError as error:
        # badVerb/badArgument: the request element carries no attributes (the spec)
        plain = error.code in ("badVerb", "badArgument")
        root = _envelope(base_url, None if plain else verb, {} if plain else args)
        _sub(root, "error", error.message, code=error.code)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)
