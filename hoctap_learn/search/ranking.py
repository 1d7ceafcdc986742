"""BM25 ranking and sorting over whole result sets, with numpy.

Whoosh's collectors score one posting at a time through a tree of Python matchers; at
100,000 documents that was most of a query's time. Here the postings of each query term are
decoded once per index segment into numpy arrays (kept in a bounded cache: segments never
change, so nothing can go stale), field lengths come from per-segment arrays, and scoring
every matching document is a few vector operations. Matching itself (AND/OR, phrases,
prefixes) is still Whoosh's, on one folded field (see query.run).
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

from .analysis import TOKEN_PATTERN, fold_word
from .facets import segment_leaves
from .schema import TEXT_FIELDS

K1 = 1.2
B = 0.75
#: Bonus, in units of the best candidate's score, for the query's syllables side by side in
#: the order typed (title > subjects > description); `title_near`: one word between, in order.
PHRASE_BONUS = {"title": 3.0, "subjects": 2.5, "description": 2.0, "title_near": 0.5}
#: How many of the best BM25 candidates get the proximity check.
PROXIMITY_DEPTH = 300
#: Postings arrays kept per process (a term of a field of a segment each).
POSTINGS_CACHE_SIZE = 4096
#: A prefix expands to at most this many indexed words.
MAX_EXPANSION = 64

_WORD_RE = re.compile(TOKEN_PATTERN)
_BYTE_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


class _Postings:
    def __init__(self):
        self.lock = threading.Lock()
        self.items: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.lengths: dict[tuple, np.ndarray] = {}

    def get(self, sub, segid: str, field: str, term: bytes):
        key = (segid, field, term)
        with self.lock:
            hit = self.items.get(key)
            if hit is not None:
                self.items.move_to_end(key)
                return hit
        value = _decode(sub, field, term)
        with self.lock:
            self.items[key] = value
            while len(self.items) > POSTINGS_CACHE_SIZE:
                self.items.popitem(last=False)
        return value

    def field_lengths(self, sub, segid: str, field: str) -> np.ndarray:
        key = (segid, field)
        lengths = self.lengths.get(key)
        if lengths is None:
            n = sub.doc_count_all()
            try:
                column = sub._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
                raw = np.fromiter((column[d] for d in range(n)), dtype=np.uint8, count=n)
                lengths = _BYTE_LENGTH[raw]
            except (AttributeError, TypeError):  # another codec: the slow, public way
                lengths = np.array(
                    [sub.doc_field_length(d, field, 0) or 0 for d in range(n)], np.float32
                )
            self.lengths[key] = lengths
        return lengths

    def forget(self, live_segments: set[str]) -> None:
        with self.lock:
            for key in [k for k in self.items if k[0] not in live_segments]:
                del self.items[key]
            for key in [k for k in self.lengths if k[0] not in live_segments]:
                del self.lengths[key]


POSTINGS = _Postings()


def _decode(sub, field: str, term: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, term frequencies) of a term in one segment, deletions included."""
    if (field, term) not in sub:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    try:  # the raw postings: deleted documents never reach scoring anyway
        matcher = sub._terms.matcher(field, term, sub.schema[field].format)
    except AttributeError:
        matcher = sub.postings(field, term)
    ids_parts, weight_parts = [], []
    if hasattr(matcher, "_read_ids"):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids_parts.append(np.asarray(matcher._ids, dtype=np.int32))
            weight_parts.append(np.asarray(matcher._weights, dtype=np.float32))
            matcher._next_block()
    else:
        items = list(matcher.items_as("frequency"))
        ids_parts.append(np.array([i for i, _ in items], np.int32))
        weight_parts.append(np.array([w for _, w in items], np.float32))
    if not ids_parts:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    return np.concatenate(ids_parts), np.concatenate(weight_parts)


def query_terms(q, reader) -> dict[str, set[bytes]]:
    """field → indexed words the ranking query asks for (prefixes expanded, capped).

    (Whoosh's Query.existing_terms reuses its `fieldname` argument as a loop variable and
    drops terms, so the leaves are read here.)
    """
    out: dict[str, set[bytes]] = {}
    schema = reader.schema
    for leaf in q.leaves():
        field = getattr(leaf, "fieldname", None)
        if field not in TEXT_FIELDS:
            continue
        kind = type(leaf).__name__
        if kind in ("Prefix", "Wildcard"):
            start = leaf.text.rstrip("*?")
            words = []
            for word in reader.expand_prefix(field, start):
                words.append(word if isinstance(word, bytes) else word.encode())
                if len(words) >= MAX_EXPANSION:
                    break
        elif kind == "Phrase":
            words = [schema[field].to_bytes(w) for w in leaf.words]
        elif hasattr(leaf, "text"):
            words = [schema[field].to_bytes(leaf.text)]
        else:
            continue
        present = {w for w in words if (field, w) in reader}
        if present:
            out.setdefault(field, set()).update(present)
    return out


def bm25(reader, terms: dict[str, set[bytes]], size: int) -> np.ndarray:
    """A score for every document number (0 where nothing matched)."""
    scores = np.zeros(size, dtype=np.float32)
    total_docs = max(1, reader.doc_count())
    leaves = segment_leaves(reader)
    for field, words in terms.items():
        boost = TEXT_FIELDS[field]
        average = reader.field_length(field) / total_docs or 1.0
        for word in words:
            parts = []
            for sub, offset, segid in leaves:
                ids, tf = POSTINGS.get(sub, segid, field, word)
                if len(ids):
                    lengths = POSTINGS.field_lengths(sub, segid, field)[ids]
                    parts.append((ids + offset, tf, lengths))
            df = sum(len(p[0]) for p in parts)
            if not df:
                continue
            idf = math.log(1.0 + (total_docs - df + 0.5) / (df + 0.5))
            for ids, tf, lengths in parts:
                norm = tf + K1 * (1.0 - B + B * lengths / average)
                scores[ids] += boost * idf * tf * (K1 + 1.0) / norm
    return scores


def proximity(
    searcher, variants: list[list[str]], scores: np.ndarray, candidates: np.ndarray
) -> None:
    """Re-rank for word order: among the best BM25 candidates, one whose title, subjects or
    description hold the query's syllables side by side and in the order typed ranks above
    every one that has them apart or reversed ("học sinh" is not "sinh học").

    The bonus is a multiple of the best candidate's score, so no BM25 difference (a short
    title with both words reversed, words repeated in subjects) can outweigh it. A title
    holding the words in order with one word between gets a smaller bonus that does not
    decide. Only the top PROXIMITY_DEPTH candidates are checked, from their stored text.

    `variants`: the word sequences the query stands for (with an abbreviation expanded,
    "CNTT" and "công nghệ thông tin"); a record holding any of them in order counts.
    """
    folded = [[fold_word(w) for w in words] for words in variants if words]
    if not folded or not 2 <= max(len(words) for words in folded) <= 8:
        return
    best = top(scores, candidates, 0, PROXIMITY_DEPTH)
    if not len(best):
        return
    unit = float(scores[best[0]]) or 1.0
    bonuses = {}
    for docnum in best:
        fields = searcher.stored_fields(int(docnum))
        payload = fields.get("payload", {})
        title = _tokens(fields.get("title", ""))
        subjects = [_tokens(s) for s in payload.get("subjects", [])]
        if _any_in_order(folded, [title], slop=0):
            bonus = PHRASE_BONUS["title"]
        elif _any_in_order(folded, subjects, slop=0):
            bonus = PHRASE_BONUS["subjects"]
        elif _any_in_order(folded, [_tokens(fields.get("description", ""))], slop=0):
            bonus = PHRASE_BONUS["description"]
        elif _any_in_order(folded, [title], slop=1):
            bonus = PHRASE_BONUS["title_near"]
        else:
            continue
        bonuses[int(docnum)] = bonus * unit
    for docnum, bonus in bonuses.items():
        scores[docnum] += bonus


def _tokens(text: str) -> list[str]:
    return [fold_word(word) for word in _WORD_RE.findall(text or "")]


def _any_in_order(variants: list[list[str]], texts: list[list[str]], slop: int) -> bool:
    return any(_in_order(words, tokens, slop) for words in variants for tokens in texts)


def _in_order(words: list[str], tokens: list[str], slop: int) -> bool:
    """The words in `tokens` in the order given, at most `slop` other tokens between two."""
    for start, token in enumerate(tokens):
        if token != words[0]:
            continue
        position, found = start, True
        for word in words[1:]:
            window = tokens[position + 1 : position + 2 + slop]
            if word not in window:
                found = False
                break
            position += 1 + window.index(word)
        if found:
            return True
    return False


def _adjacent(words: list[str], text: str) -> bool:
    """The words in order in `text`, at most one word between two of them."""
    return _in_order(words, _tokens(text), slop=1)


def top(scores: np.ndarray, candidates: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Document numbers ranked start..stop among candidates (ties: lower docnum first)."""
    if not len(candidates) or start >= len(candidates):
        return np.zeros(0, dtype=np.int64)
    stop = min(stop, len(candidates))
    values = scores[candidates]
    if stop < len(candidates):
        keep = np.argpartition(-values, stop - 1)[:stop]
        values, candidates = values[keep], candidates[keep]
    order = np.lexsort((candidates, -values))
    return candidates[order][start:stop]


def match_terms(reader, q) -> np.ndarray | None:
    """Documents matching an AND/OR of plain words on one field, by numpy set operations.

    Returns None for anything else (phrases, prefixes, NOT…): Whoosh matches those.
    """
    kind = type(q).__name__
    if kind == "Term":
        leaves, combine = [q], np.intersect1d
    elif kind in ("And", "Or") and all(type(s).__name__ == "Term" for s in q.subqueries):
        leaves = q.subqueries
        combine = np.intersect1d if kind == "And" else np.union1d
    else:
        return None
    if not leaves or len({leaf.fieldname for leaf in leaves}) != 1:
        return None
    field = leaves[0].fieldname
    schema = reader.schema
    result = None
    for leaf in leaves:
        word = schema[field].to_bytes(leaf.text)
        parts = []
        for sub, offset, segid in segment_leaves(reader):
            ids, _ = POSTINGS.get(sub, segid, field, word)
            if len(ids):
                deleted = sub.deleted_docs_set if sub.has_deletions() else None
                if deleted:
                    ids = ids[~np.isin(ids, np.fromiter(deleted, np.int32))]
                parts.append(ids.astype(np.int64) + offset)
        docs = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        result = docs if result is None else combine(result, docs)
    return np.sort(result) if result is not None else np.zeros(0, np.int64)
