"""`hoctap unit …` and `hoctap campaign …` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..core.cli_util import echo_json, json_option
from . import services

unit_group = click.Group("unit", help="Cây đơn vị.")
campaign_group = click.Group("campaign", help="Các Tuần lễ (chiến dịch).")


@unit_group.command("list")
@click.option("--under", "under_code", help="Chỉ liệt kê đơn vị này và cấp dưới.")
@json_option
@with_appcontext
def list_units(under_code, as_json):
    """Liệt kê đơn vị theo cây."""
    root_id = services.get_unit(under_code).id if under_code else None
    rows = services.unit_tree(root_id)
    if as_json:
        echo_json(
            [
                {
                    "code": r.unit.code,
                    "name": r.unit.name,
                    "kind": r.unit.kind,
                    "parent": r.unit.parent.code if r.unit.parent else None,
                    "depth": r.depth,
                    "active": r.unit.active,
                }
                for r in rows
            ]
        )
        return
    for r in rows:
        click.echo(f"{'  ' * r.depth}{r.unit.code:<30} {r.unit.name}")


@campaign_group.command("list")
@json_option
@with_appcontext
def list_campaigns(as_json):
    """Liệt kê các Tuần lễ."""
    campaigns = services.list_campaigns()
    if as_json:
        echo_json([services.campaign_dict(c) for c in campaigns])
        return
    for c in campaigns:
        mark = "*" if c.is_current else " "
        click.echo(f"{mark} {c.slug:<8} {c.start_date:%d/%m/%Y}–{c.end_date:%d/%m/%Y}  {c.theme}")
