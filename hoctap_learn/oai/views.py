"""``/oai``: GET or POST, the six verbs; protocol errors are XML with HTTP 200 (the spec)."""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from .provider import respond

bp = Blueprint("oai", __name__)


@bp.route("/oai", methods=["GET", "POST"])
def endpoint():
    args = list(request.args.items(multi=True))
    if request.method == "POST":
        args += list(request.form.items(multi=True))
    body = respond(args, url_for("oai.endpoint", _external=True))
    return Response(body, mimetype="text/xml", content_type="text/xml; charset=utf-8")
