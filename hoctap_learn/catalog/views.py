"""Catalog pages: search and browse, detail, counting redirect, providers; JSON API."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from .. import search
from ..core.errors import ValidationError
from ..extensions import db
from ..search.params import clean_query
from . import services
from .vocab import LANGUAGES, LEVELS, TYPES, license_name, license_url

bp = Blueprint("catalog", __name__, template_folder="templates")
api = Blueprint("catalog_api", __name__, url_prefix="/api/v1")


def _page_url(page: int) -> str:
    args = MultiDict(request.args)
    args["page"] = str(page)
    return url_for("catalog.search_page", **args.to_dict(flat=False))


def _toggle_url(name: str, value: str) -> str:
    """The current search with one facet value added or removed (page reset)."""
    args = MultiDict(request.args)
    values = args.getlist(name)
    args.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    args.pop("page", None)
    return url_for("catalog.search_page", **args.to_dict(flat=False))


@bp.route("/resources/")
def search_page():
    error = None
    try:
        params = search.params_from_args(request.args)
    except ValidationError as exc:
        error = exc.message
        params = search.SearchParams(q=clean_query(request.args.get("q", "")))
    result = search.search(params)
    return render_template(
        "catalog/search.html",
        result=result,
        params=params,
        error=error,
        sorts=search.SORTS,
        page_url=_page_url,
        toggle_url=_toggle_url,
        subjects=services.top_subjects(24) if not params.q and not params.filters else [],
    )


@bp.route("/resources/<int:resource_id>")
def resource_detail(resource_id: int):
    resource = services.get_resource(resource_id)
    services.count_hit(resource.id, "view")
    db.session.commit()
    return render_template(
        "catalog/detail.html",
        resource=resource,
        related=search.related(resource.id),
        type_label=TYPES[resource.type],
        level_label=LEVELS.get(resource.level or "", ""),
        language_label=LANGUAGES.get(resource.language or "", resource.language or ""),
        license_name=license_name(resource.license),
        license_url=license_url(resource.license),
    )


@bp.route("/r/<int:resource_id>/go")
def resource_go(resource_id: int):
    """Count a click-through, then send the reader to the provider."""
    resource = services.get_resource(resource_id)
    services.count_hit(resource.id, "click")
    db.session.commit()
    return redirect(resource.url, code=302)


@bp.route("/providers/")
def provider_list():
    return render_template("catalog/providers.html", providers=services.providers_with_counts())


@bp.route("/providers/<slug>")
def provider_detail(slug: str):
    provider = services.get_provider(slug)
    page = db.paginate(
        services.provider_resources(provider),
        per_page=current_app.config["HOCTAP_PER_PAGE"],
        error_out=False,
    )
    return render_template("catalog/provider.html", provider=provider, page=page)


# --- API -------------------------------------------------------------------------------------


@api.route("/resources")
def api_search():
    params = search.params_from_args(request.args)  # ValidationError → 400 JSON
    return jsonify(search.search(params).as_api())


@api.route("/resources/<path:identifier>")
def api_resource(identifier: str):
    r = services.get_resource_by_identifier(identifier)
    return jsonify(
        identifier=r.identifier,
        title=r.title,
        description=r.description,
        creators=r.creators,
        contributors=r.contributors,
        subjects=r.subjects,
        publisher=r.publisher,
        provider=r.provider.slug if r.provider else None,
        type=r.type,
        type_label=TYPES[r.type],
        source_type=r.source_type,
        format=r.format,
        language=r.language,
        level=r.level,
        audience=r.audience,
        license=r.license,
        license_name=license_name(r.license),
        license_url=license_url(r.license),
        url=r.url,
        year=r.year,
        views=r.view_count,
        clicks=r.click_count,
        page=url_for("catalog.resource_detail", resource_id=r.id, _external=True),
        created_at=r.created_at.isoformat(),
        updated_at=r.updated_at.isoformat(),
    )
