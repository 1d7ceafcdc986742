"""Running a search: match, filter, facet, rank, highlight (parsing.py parses, suggest.py
proposes a corrected query)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from markupsafe import Markup, escape
from whoosh import highlight
from whoosh.query import Every

from ..catalog.vocab import LANGUAGES, LEVELS, TYPES, license_name
from . import abbreviations, keyboard, ranking, suggest
from .analysis import folded_analyzer
from .facets import CACHE
from .params import SearchParams
from .parsing import count, has_terms, matching_docs, parse, tidy
from .schema import FACETS

FACET_LIMITS = {"type": 20, "subject": 30, "publisher": 30, "language": 20, "level": 10,
                "license": 20}  # fmt: skip
_FORMATTER = highlight.HtmlFormatter(tagname="mark", classname="hl", termclass="t", between=" … ")
_FRAGMENTER = highlight.ContextFragmenter(maxchars=220, surround=60)
_WHOLE = highlight.WholeFragmenter()


@dataclass
class SearchResult:
    params: SearchParams
    total: int = 0
    results: list[dict] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    year_range: tuple[int, int] | None = None
    suggestion: str | None = None
    #: True when no document had all the words and results with some of them are shown.
    fallback: bool = False
    messages: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.params.per_page))

    def as_api(self) -> dict:
        return {
            "query": self.params.q,
            "total": self.total,
            "page": self.params.page,
            "per_page": self.params.per_page,
            "pages": self.pages,
            "sort": self.params.sort,
            "results": [
                {**r, "highlight": {k: str(v) for k, v in r["highlight"].items()}}
                for r in self.results
            ],
            "facets": {
                name: {value: count for value, count in counts}
                for name, counts in self.facets.items()
            },
            "year_range": list(self.year_range) if self.year_range else None,
            "suggestion": self.suggestion,
            "fallback": self.fallback,
            "messages": self.messages,
        }


def _apply_filters(table, docs: np.ndarray, params: SearchParams, skip: str | None = None):
    mask = np.ones(len(docs), dtype=bool)
    for name, values in params.filters.items():
        if name != skip:
            mask &= table.mask_for(docs, name, values)
    if skip != "year" and (params.year_from is not None or params.year_to is not None):
        mask &= table.year_mask(docs, params.year_from, params.year_to)
    return docs[mask]


def run(searcher, params: SearchParams) -> SearchResult:
    typed = tidy(params.q)
    result = _run(searcher, params, typed)
    if not typed or result.total >= 3 and not result.fallback:
        return result
    decoded = keyboard.decode_query(typed)
    if decoded:
        spoken = suggest.spoken(searcher.reader(), decoded)
        if result.total == 0 or result.fallback:
            # typed with the Vietnamese keyboard off: search what the keys spell
            alternative = _run(searcher, params, decoded)
            if alternative.total and not alternative.fallback:
                alternative.suggestion = spoken
                alternative.messages.append(
                    f"Không có kết quả cho “{typed}”; đang hiển thị kết quả cho “{spoken}”."
                )
                return alternative
        elif count(searcher, decoded) > result.total:
            result.suggestion = spoken
            return result
    regional = suggest.regional_suggestion(searcher, typed, 0 if result.fallback else result.total)
    if regional:
        result.suggestion = regional
    return result


def _run(searcher, params: SearchParams, typed: str) -> SearchResult:
    result = SearchResult(params=params, messages=list(params.notices))
    expansion = abbreviations.expand(typed, abbreviations.current()) if typed else None
    text = expansion.text if expansion else typed
    if text:
        q = parse(searcher.schema, text)
        if not has_terms(q):
            result.messages.append("Câu tìm kiếm không có từ khóa nào dùng được.")
            return result
        match_q = parse(searcher.schema, text, purpose="match")
    else:
        q = match_q = Every()
    table = CACHE.table(searcher.reader())
    docs = matching_docs(searcher, match_q)
    if not len(docs) and text:
        or_match = parse(searcher.schema, text, use_or=True, purpose="match")
        or_docs = matching_docs(searcher, or_match) if has_terms(or_match) else docs
        if len(or_docs):
            q, docs = parse(searcher.schema, text, use_or=True), or_docs
            result.fallback = True
            result.messages.append(
                "Không có học liệu chứa đủ mọi từ; đang hiển thị kết quả chứa một phần các từ."
            )
    final = _apply_filters(table, docs, params)
    result.total = int(len(final))
    for name in FACETS:
        base = _apply_filters(table, docs, params, skip=name) if name in params.filters else final
        result.facets[name] = table.counts(base, name, FACET_LIMITS[name])
    base = _apply_filters(table, docs, params, skip="year")
    result.year_range = table.year_range(base)
    if typed and (result.total == 0 or result.fallback or result.total < 3):
        result.suggestion = suggest.suggest(searcher, typed, 0 if result.fallback else result.total)
    if result.total:
        if expansion:
            variants = expansion.variants
        elif not any(op in typed for op in ('"', "*", "(", " OR ", " NOT ")):
            variants = [abbreviations.query_words(typed)]
        else:
            variants = []
        result.results = _page(searcher, table, q, text, final, params, result.fallback, variants)
    return result


def _page(
    searcher, table, q, text, final, params: SearchParams, fallback: bool, variants: list
) -> list[dict]:
    start = (params.page - 1) * params.per_page
    stop = start + params.per_page
    if start >= len(final):
        return []
    reader = searcher.reader()
    terms = ranking.query_terms(q, reader) if text else {}
    if text and params.sort == "relevance":
        scores = ranking.bm25(reader, terms, reader.doc_count_all())
        if not fallback and variants:
            ranking.proximity(searcher, variants, scores, final)
        page_docs = ranking.top(scores, final, start, stop)
    else:
        page_docs = table.sorted_docs(final, params.sort)[start:stop]
    words = {
        w.decode("utf-8") if isinstance(w, bytes) else w
        for field, ws in terms.items() if field.endswith("_f") for w in ws
    }  # fmt: skip
    return [_result(searcher.stored_fields(int(docnum)), words) for docnum in page_docs]


def _result(fields: dict, words: set[str]) -> dict:
    payload = dict(fields["payload"])
    snippet = payload.pop("snippet", "") or ""
    highlights = {}
    if words:
        title = _highlight(fields.get("title", ""), words, _WHOLE, 1)
        description = _highlight(fields.get("description", ""), words, _FRAGMENTER, 2)
        if title:
            highlights["title"] = Markup(title)
        if description:
            highlights["description"] = Markup(description)
    if "description" not in highlights:
        highlights["description"] = escape(snippet)
    payload["highlight"] = highlights
    return payload


_ANALYZER = folded_analyzer()


def _highlight(text: str, words: set[str], fragmenter, top: int) -> str:
    if not text:
        return ""
    return highlight.highlight(text, words, _ANALYZER, fragmenter, _FORMATTER, top=top)


# --- related ---------------------------------------------------------------------------------


def related(searcher, resource_id: int, limit: int = 6) -> list[dict]:
    docnum = searcher.document_number(id=str(resource_id))
    if docnum is None:
        return []
    fields = searcher.stored_fields(docnum)
    payload = fields["payload"]
    text = " ".join([fields.get("title", ""), " ".join(payload.get("subjects", []))])
    hits = searcher.more_like(docnum, "title_f", text=text, top=limit, numterms=12)
    return [dict(hit["payload"]) for hit in hits]


# --- labels for facets -----------------------------------------------------------------------


def facet_label(name: str, value: str) -> str:
    if name == "type":
        return TYPES.get(value, value)
    if name == "language":
        return LANGUAGES.get(value, value)
    if name == "level":
        return LEVELS.get(value, value)
    if name == "license":
        return license_name(value)
    return value
