"""Running a search: parse, match, filter, facet, rank, highlight, suggest."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np
from markupsafe import Markup, escape
from whoosh import highlight
from whoosh.qparser import AndGroup, MultifieldParser, OrGroup, plugins
from whoosh.query import Every, NullQuery, Prefix, Wildcard

from ..catalog.vocab import LANGUAGES, LEVELS, TYPES, fold, license_name
from . import abbreviations, keyboard, ranking
from .analysis import fold_word, folded_analyzer, normalize_spelling
from .facets import CACHE, segment_leaves
from .params import MAX_TERMS, SearchParams
from .schema import FACETS, TEXT_FIELDS

FACET_LIMITS = {"type": 20, "subject": 30, "publisher": 30, "language": 20, "level": 10,
                "license": 20}  # fmt: skip
_REMOVED_PLUGINS = (
    plugins.FieldsPlugin, plugins.RangePlugin, plugins.BoostPlugin,
    plugins.SingleQuotePlugin, plugins.EveryPlugin, plugins.PlusMinusPlugin,
)  # fmt: skip
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


# --- parsing ---------------------------------------------------------------------------------


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


def _tidy(text: str) -> str:
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


def _has_terms(q) -> bool:
    return q is not None and q is not NullQuery and any(True for _ in q.leaves())


# --- execution -------------------------------------------------------------------------------


def _matching_docs(searcher, q) -> np.ndarray:
    if not isinstance(q, Every):
        fast = ranking.match_terms(searcher.reader(), q)
        if fast is not None:
            return fast
    ids = searcher.reader().all_doc_ids() if isinstance(q, Every) else searcher.docs_for_query(q)
    docs = np.fromiter(ids, dtype=np.int64)
    docs.sort()
    return docs


def _apply_filters(table, docs: np.ndarray, params: SearchParams, skip: str | None = None):
    mask = np.ones(len(docs), dtype=bool)
    for name, values in params.filters.items():
        if name != skip:
            mask &= table.mask_for(docs, name, values)
    if skip != "year" and (params.year_from is not None or params.year_to is not None):
        mask &= table.year_mask(docs, params.year_from, params.year_to)
    return docs[mask]


def run(searcher, params: SearchParams) -> SearchResult:
    typed = _tidy(params.q)
    result = _run(searcher, params, typed)
    if not typed or result.total >= 3 and not result.fallback:
        return result
    decoded = keyboard.decode_query(typed)
    if decoded:
        spoken = _spoken(searcher.reader(), decoded)
        if result.total == 0 or result.fallback:
            # typed with the Vietnamese keyboard off: search what the keys spell
            alternative = _run(searcher, params, decoded)
            if alternative.total and not alternative.fallback:
                alternative.suggestion = spoken
                alternative.messages.append(
                    f"Không có kết quả cho “{typed}”; đang hiển thị kết quả cho “{spoken}”."
                )
                return alternative
        elif _count(searcher, decoded) > result.total:
            result.suggestion = spoken
            return result
    regional = _regional_suggestion(searcher, typed, 0 if result.fallback else result.total)
    if regional:
        result.suggestion = regional
    return result


def _run(searcher, params: SearchParams, typed: str) -> SearchResult:
    result = SearchResult(params=params, messages=list(params.notices))
    expansion = abbreviations.expand(typed, abbreviations.current()) if typed else None
    text = expansion.text if expansion else typed
    if text:
        q = parse(searcher.schema, text)
        if not _has_terms(q):
            result.messages.append("Câu tìm kiếm không có từ khóa nào dùng được.")
            return result
        match_q = parse(searcher.schema, text, purpose="match")
    else:
        q = match_q = Every()
    table = CACHE.table(searcher.reader())
    docs = _matching_docs(searcher, match_q)
    if not len(docs) and text:
        or_match = parse(searcher.schema, text, use_or=True, purpose="match")
        or_docs = _matching_docs(searcher, or_match) if _has_terms(or_match) else docs
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
        result.suggestion = suggest(searcher, typed, 0 if result.fallback else result.total)
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


# --- "did you mean" --------------------------------------------------------------------------

_SPELL_FIELDS = ("title_f", "subjects_f", "text_f")


def _accented_forms(reader) -> dict[str, str]:
    """folded word → its most frequent accented spelling in titles and subjects."""
    key = tuple(segid for _, _, segid in segment_leaves(reader))
    cached = getattr(_local, "accents", None)
    if cached and cached[0] == key:
        return cached[1]
    best: dict[str, tuple[int, str]] = {}
    for fieldname in ("title", "subjects"):
        for term, info in reader.iter_field(fieldname):
            word = term.decode("utf-8") if isinstance(term, bytes) else term
            folded = fold(word)
            freq = info.doc_frequency()
            if folded not in best or best[folded][0] < freq:
                best[folded] = (freq, word)
    forms = {k: v[1] for k, v in best.items()}
    _local.accents = (key, forms)
    return forms


def _doc_frequency(reader, word: str) -> int:
    return sum(reader.doc_frequency(f, word) for f in _SPELL_FIELDS)


def suggest(searcher, text: str, current_total: int) -> str | None:
    """A corrected query with more hits, in accented form, or None."""
    reader = searcher.reader()
    words = [fold_word(w) for w in re.findall(r"\w+", text)][:MAX_TERMS]
    if not words:
        return None
    corrected = []
    changed = False
    for word in words:
        if len(word) < 2 or _doc_frequency(reader, word) > 0:
            corrected.append(word)
            continue
        replacement = None
        for distance in (1, 2):
            if distance == 2 and len(word) < 5:
                break
            candidates = set()
            for fieldname in _SPELL_FIELDS:
                candidates.update(reader.terms_within(fieldname, word, distance))
            candidates = {c.decode() if isinstance(c, bytes) else c for c in candidates}
            candidates.discard(word)
            if candidates:
                replacement = max(sorted(candidates), key=lambda c: _doc_frequency(reader, c))
                break
        if replacement:
            corrected.append(replacement)
            changed = True
        else:
            corrected.append(word)
    if not changed:
        return None
    candidate = " ".join(corrected)
    q = parse(searcher.schema, candidate, purpose="match")
    hits = sum(1 for _ in searcher.docs_for_query(q)) if _has_terms(q) else 0
    if hits <= current_total:
        return None
    forms = _accented_forms(reader)
    typed = [w for w in re.findall(r"\w+", text)][:MAX_TERMS]
    return " ".join(
        t if w == fold_word(t) and fold(t) != t.lower() else forms.get(w, w)  # keep typed accents
        for t, w in zip(typed, corrected, strict=True)
    )


def _count(searcher, text: str) -> int:
    q = parse(searcher.schema, text, purpose="match")
    return int(len(_matching_docs(searcher, q))) if _has_terms(q) else 0


def _spoken(reader, decoded: str) -> str:
    """A decoded query as Vietnamese people write it: a syllable the catalog never writes
    with that tone ("tìn" from "tinf") takes the catalog's spelling of it ("tin")."""
    forms = _accented_forms(reader)
    words = []
    for word in decoded.split():
        exact = normalize_spelling(word.lower())
        if not any(reader.doc_frequency(f, exact) for f in ("title", "subjects")):
            known = forms.get(fold_word(word))
            if known:
                word = known.capitalize() if word[:1].isupper() else known
        words.append(word)
    return " ".join(words)


#: At most this many regional respellings of a query are counted.
MAX_REGIONAL_TRIES = 24


def _regional_suggestion(searcher, text: str, current_total: int) -> str | None:
    """The query with one syllable respelled for a regional confusion (ch/tr, s/x, l/n,
    d/gi/r, final n/ng, c/t), the tone kept, when that finds more; the best one wins."""
    words = text.split()[:MAX_TERMS]
    best, best_hits, tries = None, current_total, 0
    for index, word in enumerate(words):
        for variant in keyboard.regional_variants(word):
            if tries >= MAX_REGIONAL_TRIES:
                break
            tries += 1
            candidate = [*words[:index], variant, *words[index + 1 :]]
            hits = _count(searcher, " ".join(candidate))
            if hits > best_hits:
                best, best_hits = " ".join(candidate), hits
    return best


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
