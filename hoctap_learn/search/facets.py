"""Exact facet counts and filters over whole result sets, with numpy.

Whoosh's own grouping walks every matching document in Python; at 100,000 documents that
dominates a query. Here each index segment's facet values are read once into integer
arrays (value codes), so counting a facet over any set of document numbers is one
`numpy.bincount`. Arrays are cached per segment: a change adds a small new segment and
leaves the others' arrays valid (deleted documents never appear in a result set).
"""

from __future__ import annotations

import threading

import numpy as np

from .schema import FACETS

#: Facets with one value per document, read from Whoosh columns.
SINGLE = ("type", "publisher", "language", "level", "license")


class ValueCodes:
    """Interned facet values → small ints, shared by all segments of a process."""

    def __init__(self):
        self.codes: dict[str, int] = {}
        self.values: list[str] = []

    def code(self, value: str) -> int:
        code = self.codes.get(value)
        if code is None:
            code = self.codes[value] = len(self.values)
            self.values.append(value)
        return code


class SegmentFacets:
    def __init__(self, reader, codes: dict[str, ValueCodes]):
        n = reader.doc_count_all()
        self.size = n
        self.single: dict[str, np.ndarray] = {}
        for name in SINGLE:
            arr = np.full(n, -1, dtype=np.int32)
            if reader.has_column(name):
                interned = codes[name]
                for docnum, value in enumerate(reader.column_reader(name)):
                    if value:
                        arr[docnum] = interned.code(value)
            self.single[name] = arr
        self.year = np.zeros(n, dtype=np.int32)
        if reader.has_column("year"):
            self.year[:] = np.fromiter(reader.column_reader("year"), dtype=np.int64, count=n)
        self.created = np.zeros(n, dtype=np.int64)
        if reader.has_column("created"):
            self.created[:] = np.fromiter(reader.column_reader("created"), np.int64, count=n)
        has_titles = reader.has_column("sort_title")
        self.sort_title = list(reader.column_reader("sort_title")) if has_titles else [""] * n
        docs: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        interned = codes["subject"]
        for term in reader.lexicon("subject"):
            value = term.decode("utf-8") if isinstance(term, bytes) else term
            ids = np.fromiter(reader.postings("subject", term).all_ids(), dtype=np.int32)
            docs.append(ids)
            vals.append(np.full(len(ids), interned.code(value), dtype=np.int32))
        self.pair_doc = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int32)
        self.pair_val = np.concatenate(vals) if vals else np.zeros(0, dtype=np.int32)


class FacetTable:
    """All segments of one reader, as global arrays indexed by document number."""

    def __init__(self, parts: list[tuple[SegmentFacets, int]], codes: dict[str, ValueCodes]):
        self.codes = codes
        total = sum(seg.size for seg, _ in parts)
        self.size = total
        self.single = {
            name: np.concatenate([seg.single[name] for seg, _ in parts])
            if parts else np.zeros(0, dtype=np.int32)
            for name in SINGLE
        }  # fmt: skip
        self.year = (
            np.concatenate([seg.year for seg, _ in parts]) if parts else np.zeros(0, np.int32)
        )
        self.created = (
            np.concatenate([seg.created for seg, _ in parts]) if parts else np.zeros(0, np.int64)
        )
        titles = [t for seg, _ in parts for t in seg.sort_title]
        #: Position of each document in title order, so sorting by title is an int sort.
        self.title_rank = np.empty(len(titles), dtype=np.int64)
        self.title_rank[np.argsort(np.array(titles, dtype=object), kind="stable")] = np.arange(
            len(titles)
        )
        self.pair_doc = (
            np.concatenate([seg.pair_doc + offset for seg, offset in parts])
            if parts else np.zeros(0, dtype=np.int32)
        )  # fmt: skip
        self.pair_val = (
            np.concatenate([seg.pair_val for seg, _ in parts])
            if parts else np.zeros(0, dtype=np.int32)
        )  # fmt: skip

    # --- filters ---------------------------------------------------------------------------

    def mask_for(self, docs: np.ndarray, name: str, values: list[str]) -> np.ndarray:
        """Boolean mask over `docs`: documents having any of `values` for facet `name`."""
        interned = self.codes[name]
        wanted = np.array([interned.codes[v] for v in values if v in interned.codes], np.int32)
        if name == "subject":
            having = np.zeros(self.size, dtype=bool)
            having[self.pair_doc[np.isin(self.pair_val, wanted)]] = True
            return having[docs]
        return np.isin(self.single[name][docs], wanted)

    def year_mask(self, docs: np.ndarray, year_from: int | None, year_to: int | None):
        years = self.year[docs]
        mask = np.ones(len(docs), dtype=bool)
        if year_from is not None:
            mask &= years >= year_from
        if year_to is not None:
            mask &= (years <= year_to) & (years > 0)
        return mask

    # --- counts ----------------------------------------------------------------------------

    def counts(self, docs: np.ndarray, name: str, limit: int) -> list[tuple[str, int]]:
        values = self.codes[name].values
        if not len(values) or not len(docs):
            return []
        if name == "subject":
            member = np.zeros(self.size, dtype=bool)
            member[docs] = True
            picked = self.pair_val[member[self.pair_doc]]
        else:
            picked = self.single[name][docs]
            picked = picked[picked >= 0]
        counts = np.bincount(picked, minlength=len(values))
        order = np.lexsort((np.arange(len(counts)), -counts))
        out = []
        for code in order[:limit]:
            if counts[code] == 0:
                break
            out.append((values[code], int(counts[code])))
        return out

    def sorted_docs(self, docs: np.ndarray, sort: str) -> np.ndarray:
        """`docs` newest first (year, then time added) or in title order."""
        if sort == "title":
            return docs[np.argsort(self.title_rank[docs], kind="stable")]
        return docs[np.lexsort((docs, -self.created[docs], -self.year[docs]))]

    def year_range(self, docs: np.ndarray) -> tuple[int, int] | None:
        years = self.year[docs]
        years = years[years > 0]
        if not len(years):
            return None
        return int(years.min()), int(years.max())


def segment_leaves(reader) -> list[tuple]:
    """(sub-reader, document offset, segment id) of each segment of `reader`.

    An index with no segment yet (nothing committed) reads through Whoosh's EmptyReader,
    whose one leaf has no segment: it has no documents either, so it is left out.
    """
    leaves = []
    for sub, offset in reader.leaf_readers():
        segment = sub.segment()
        if segment is not None:
            leaves.append((sub, offset, segment.segment_id()))
    return leaves


class FacetCache:
    """Per-process cache: segment id → SegmentFacets; reader key → FacetTable."""

    def __init__(self):
        self.lock = threading.Lock()
        self.codes = {name: ValueCodes() for name in FACETS}
        self.segments: dict[str, SegmentFacets] = {}
        self.tables: dict[tuple, FacetTable] = {}

    def table(self, reader) -> FacetTable:
        leaves = segment_leaves(reader)
        key = tuple((segid, offset) for _, offset, segid in leaves)
        table = self.tables.get(key)
        if table is not None:
            return table
        with self.lock:
            parts = []
            for sub, offset, segid in leaves:
                seg = self.segments.get(segid)
                if seg is None:
                    seg = self.segments[segid] = SegmentFacets(sub, self.codes)
                parts.append((seg, offset))
            live = {segid for _, _, segid in leaves}
            self.segments = {k: v for k, v in self.segments.items() if k in live}
            table = FacetTable(parts, self.codes)
            self.tables = {key: table}
            return table


CACHE = FacetCache()
