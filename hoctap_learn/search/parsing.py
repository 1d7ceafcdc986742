"""Parsing what a citizen types into Whoosh queries, and matching them.

Shared by the search itself (query.py) and the "did you mean" suggestions (suggest.py).
"""

from __future__ import annotations

import re
import threading

import numpy as np
from whoosh.qparser import AndGroup, MultifieldParser, OrGroup, plugins
from whoosh.query import Every, NullQuery, Prefix, Wildcard

from . import ranking
from .analysis import fold_word, normalize_spelling
from .params import MAX_TERMS
from .schema import TEXT_FIELDS

_REMOVED_PLUGINS = (
    plugins.FieldsPlugin, plugins.RangePlugin, plugins.BoostPlugin,
    plugins.SingleQuotePlugin, plugins.EveryPlugin, plugins.PlusMinusPlugin,
)  # fmt: skip

def _parser(group, fields=None) -> MultifieldParser:
    fields = fields or TEXT_FIELDS
    parser = MultifieldParser(list(fields), schema=None, fieldboosts=fields, group=group)
    for plugin in _REMOVED_PLUGINS:
        parser.remove_plugin_class(plugin)
    return parser


_local = threading.local()


def _parsers(schema):
    cached = getattr(_local, "parsers", None)
    if cached is None or cached[0] is not schema:
        parsers = {
            ("rank", False): _parser(AndGroup),
            ("rank", True): _parser(OrGroup),
            ("match", False): _parser(AndGroup, {"text_f": 1.0}),
            ("match", True): _parser(OrGroup, {"text_f": 1.0}),
        }
        for parser in parsers.values():
            parser.schema = schema
        cached = _local.parsers = (schema, parsers)
    return cached[1]


_WILDCARD_TOKEN = re.compile(r"\S*[*?]\S*")


def tidy(text: str) -> str:
    """Keep only a trailing `*` on words of 2+ letters; balance quotes; cap the terms."""

    def fix(match: re.Match) -> str:
        token = match.group(0)
        core = token.replace("*", "").replace("?", "")
        letters = re.sub(r"\W", "", core)
        if token.endswith("*") and len(letters) >= 2:
            return core + "*"
        return core

    text = _WILDCARD_TOKEN.sub(fix, text)
    if text.count('"') % 2:
        text = text.replace('"', " ")
    # Parentheses the user did not balance are dropped rather than guessed.
    if text.count("(") != text.count(")"):
        text = text.replace("(", " ").replace(")", " ")
    words = text.split()
    return " ".join(words[:MAX_TERMS])


def _fold_leaf(q):
    """Prefix/wildcard texts skip analysis: fold them for the accent-free fields."""
    if isinstance(q, Prefix | Wildcard):
        q = q.copy()
        if q.fieldname.endswith("_f"):
            q.text = fold_word(q.text)
        else:
            q.text = normalize_spelling(q.text.lower())
    return q


def parse(schema, text: str, use_or: bool = False, purpose: str = "rank"):
    """The query for ranking (every field, boosted) or for matching (`text_f` only).

    Both match the same documents: a word is in some field, accented or not, exactly when
    its folded form is in the folded concatenation of the fields.
    """
    parser = _parsers(schema)[(purpose, use_or)]
    try:
        q = parser.parse(text)
    except Exception:  # Whoosh's parser is lenient; anything odd becomes plain words
        plain = re.sub(r"[^\w\s]", " ", text)
        q = parser.parse(plain)
    return q.accept(_fold_leaf)


def has_terms(q) -> bool:
    return q is not None and q is not NullQuery and any(True for _ in q.leaves())


def matching_docs(searcher, q) -> np.ndarray:
    if not isinstance(q, Every):
        fast = ranking.match_terms(searcher.reader(), q)
        if fast is not None:
            return fast
    ids = searcher.reader().all_doc_ids() if isinstance(q, Every) else searcher.docs_for_query(q)
    docs = np.fromiter(ids, dtype=np.int64)
    docs.sort()
    return docs


def count(searcher, text: str) -> int:
    """How many documents have every word of `text`."""
    q = parse(searcher.schema, text, purpose="match")
    return int(len(matching_docs(searcher, q))) if has_terms(q) else 0
