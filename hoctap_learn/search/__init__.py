"""Search: the only package that imports Whoosh.

Reads: `search(params)`, `related(resource_id)`. Writes: the index follows the catalog's
change log (`store.catch_up`) and can always be rebuilt from the database (`rebuild`).
"""

from __future__ import annotations

from .params import SORTS, SearchParams, params_from_args  # noqa: F401


def search(params: SearchParams):
    from . import query, store

    return query.run(store.get_searcher(), params)


def related(resource_id: int, limit: int = 6) -> list[dict]:
    from . import query, store

    return query.related(store.get_searcher(), resource_id, limit)


def facet_label(name: str, value: str) -> str:
    from .query import facet_label as label

    return label(name, value)


def init_app(app) -> None:
    from ..core.health import register_readiness_check
    from . import abbreviations, cli, store  # noqa: F401  (abbreviations: model, loader)

    app.cli.add_command(cli.search_group)
    register_readiness_check(app, "search_index", store.lag)
    app.add_template_global(facet_label, "facet_label")
