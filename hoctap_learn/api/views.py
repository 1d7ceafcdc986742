"""/api/v1 routes for units, campaigns and the current user."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from ..core.views import error_response
from ..units import services as units

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/campaigns")
def campaigns():
    return jsonify(results=[units.campaign_dict(c) for c in units.list_campaigns()])


@bp.route("/campaigns/<slug>")
def campaign(slug: str):
    return jsonify(units.campaign_dict(units.get_campaign(slug), with_programme=True))


@bp.route("/units")
def unit_list():
    rows = units.unit_tree(active_only=True)
    return jsonify(
        results=[
            {
                "code": r.unit.code,
                "name": r.unit.name,
                "short_name": r.unit.short_name,
                "kind": r.unit.kind,
                "parent": r.unit.parent.code if r.unit.parent else None,
                "depth": r.depth,
            }
            for r in rows
        ]
    )


@bp.route("/me")
def me():
    if not current_user.is_authenticated:
        return error_response(401, "Bạn cần đăng nhập.")
    u = current_user
    return jsonify(
        id=u.id,
        email=u.email,
        full_name=u.full_name,
        role=u.role,
        unit=u.unit.code if u.unit else None,
        birth_year=u.birth_year,
        gender=u.gender,
        target_group=u.target_group,
        profile_complete=u.profile_complete,
    )
