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
import threading
from collections import OrderedDict

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

from .analysis import fold_word, folded_analyzer
from .facets import segment_leaves
from .schema import TEXT_FIELDS

K1 = 1.2
B = 0.75
#: Score added when the query's words stand together (slop 1) in a field.
PROXIMITY_BONUS = {"title_f": 6.0, "subjects_f": 3.0}
#: How many of the best BM25 candidates get the proximity check.
PROXIMITY_DEPTH = 300
#: Postings arrays kept per process (a term of a field of a segment each).
POSTINGS_CACHE_SIZE = 4096
#: A prefix expands to at most this many indexed words.
MAX_EXPANSION = 64

_ANALYZER = folded_analyzer()
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


def proximity(searcher, words: list[str], scores: np.ndarray, candidates: np.ndarray) -> None:
    """Re-rank: add a bonus to the best BM25 candidates whose title or subjects hold the
    query's words side by side (in order, at most one word between).

    Only the top PROXIMITY_DEPTH candidates are checked, from their stored text: every page a
    reader reaches is inside that depth, and checking positions over the whole index through
    Whoosh's span matchers was most of a multi-word query's time.
    """
    if not 2 <= len(words) <= 8:
        return
    folded = [fold_word(w) for w in words]
    for docnum in top(scores, candidates, 0, PROXIMITY_DEPTH):
        fields = searcher.stored_fields(int(docnum))
        if _adjacent(folded, fields.get("title", "")):
            scores[docnum] += PROXIMITY_BONUS["title_f"]
        elif any(_adjacent(folded, s) for s in fields.get("payload", {}).get("subjects", [])):
            scores[docnum] += PROXIMITY_BONUS["subjects_f"]


def _adjacent(words: list[str], text: str) -> bool:
    tokens = [token.text for token in _ANALYZER(text)]
    for start, token in enumerate(tokens):
        if token != words[0]:
            continue
        position, found = start, True
        for word in words[1:]:
            window = tokens[position + 1 : position + 3]  # slop 1
            if word not in window:
                found = False
                break
            position += 1 + window.index(word)
        if found:
            return True
    return False


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
