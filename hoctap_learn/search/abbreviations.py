"""Abbreviations expanded both ways at query time (CNTT ⇄ "công nghệ thông tin").

The list lives in content/search/abbreviations.yaml, loaded by `hoctap content load` into
`search_abbreviations`; every search reads it from the database, so an organizer's change
reaches every node's next search without a code change or an index rebuild.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ..core.content import ContentError, LoadReport, read_yaml, register_loader
from ..extensions import db
from .analysis import TOKEN_PATTERN, fold_word
from .models import SearchAbbreviation

#: At most this many spellings of one query are ranked for word order.
MAX_VARIANTS = 8
_ABBREVIATION_RE = re.compile(r"^\w{2,20}$")
_WORD_RE = re.compile(r"\w+")
_TOKEN_RE = re.compile(TOKEN_PATTERN)
#: Query syntax the expansion leaves alone: the user wrote the query they meant.
_SYNTAX_RE = re.compile(r'["*?()]|\b(?:AND|OR|NOT)\b')


@dataclass(frozen=True)
class Abbreviation:
    abbreviation: str
    expansions: tuple[str, ...]
    case_sensitive: bool = False


# --- loading -----------------------------------------------------------------------------------


def parse_file(path: Path) -> list[Abbreviation]:
    """The entries of an abbreviations file; ContentError names the first bad one."""
    data = read_yaml(path)
    if data is None:
        return []
    if not isinstance(data, list):
        raise ContentError(f"{path.name}: cần một danh sách các mục viết tắt.")
    entries: dict[str, Abbreviation] = {}
    for number, item in enumerate(data, start=1):
        where = f"{path.name}, mục {number}"
        if not isinstance(item, dict) or set(item) - {"abbreviation", "expansions",
                                                        "case_sensitive"}:  # fmt: skip
            raise ContentError(
                f"{where}: mỗi mục gồm abbreviation, expansions và (tùy chọn) case_sensitive."
            )
        short = str(item.get("abbreviation") or "").strip()
        if not _ABBREVIATION_RE.match(short):
            raise ContentError(f"{where}: từ viết tắt phải là 2–20 chữ cái hoặc chữ số liền nhau.")
        expansions = item.get("expansions")
        if isinstance(expansions, str):
            expansions = [expansions]
        if not isinstance(expansions, list) or not expansions:
            raise ContentError(f"{where}: {short} cần ít nhất một cụm từ đầy đủ (expansions).")
        phrases = []
        for phrase in expansions:
            words = _WORD_RE.findall(str(phrase or ""))
            if not 2 <= len(words) <= 8:
                raise ContentError(f"{where}: cụm từ của {short} phải có từ 2 đến 8 tiếng.")
            phrases.append(" ".join(words))
        case_sensitive = item.get("case_sensitive", False)
        if not isinstance(case_sensitive, bool):
            raise ContentError(f"{where}: case_sensitive chỉ nhận true hoặc false.")
        if short in entries:
            raise ContentError(f"{where}: {short} đã có ở một mục trước.")
        entries[short] = Abbreviation(short, tuple(phrases), case_sensitive)
    return list(entries.values())


@register_loader("search-abbreviations", order=50)
def load_abbreviations(content_dir: Path, report: LoadReport) -> None:
    """Make `search_abbreviations` equal the file (by abbreviation): re-running changes
    nothing, and an entry removed from the file is no longer expanded."""
    path = content_dir / "search" / "abbreviations.yaml"
    if not path.is_file():
        return
    entries = parse_file(path)
    counts = report.for_kind("abbreviations")
    existing = {row.abbreviation: row for row in db.session.scalars(select(SearchAbbreviation))}
    for entry in entries:
        values = {"expansions": "\n".join(entry.expansions),
                  "case_sensitive": entry.case_sensitive}  # fmt: skip
        row = existing.pop(entry.abbreviation, None)
        if row is None:
            db.session.add(SearchAbbreviation(abbreviation=entry.abbreviation, **values))
            counts.created += 1
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            counts.updated += 1
        else:
            counts.unchanged += 1
    for row in existing.values():
        db.session.delete(row)
        counts.updated += 1
    db.session.flush()


def current() -> list[Abbreviation]:
    rows = db.session.execute(
        select(
            SearchAbbreviation.abbreviation,
            SearchAbbreviation.expansions,
            SearchAbbreviation.case_sensitive,
        )
    ).all()
    return [Abbreviation(a, tuple(e.splitlines()), bool(c)) for a, e, c in rows]


def query_words(text: str) -> list[str]:
    """The folded words of a query as the index tokenizes them ("covid-19" stays one)."""
    return [fold_word(w) for w in _TOKEN_RE.findall(text)]


# --- expanding a query -------------------------------------------------------------------------


@dataclass(frozen=True)
class Expansion:
    #: The query text for the parser: `(CNTT OR "công nghệ thông tin")` for an abbreviation
    #: typed, `((công nghệ thông tin) OR CNTT)` for a phrase typed.
    text: str
    #: Folded word sequences the query may stand for, for the word-order re-rank.
    variants: list[list[str]]


def expand(text: str, entries: list[Abbreviation]) -> Expansion | None:
    """The query with each abbreviation ORed with its phrases and each phrase with its
    abbreviation, or None when nothing applies or the query uses search syntax."""
    if not entries or _SYNTAX_RE.search(text):
        return None
    by_short: dict[str, list[Abbreviation]] = {}
    phrases: list[tuple[list[str], Abbreviation, str]] = []
    for entry in entries:
        by_short.setdefault(fold_word(entry.abbreviation), []).append(entry)
        for phrase in entry.expansions:
            phrases.append(([fold_word(w) for w in phrase.split()], entry, phrase))
    phrases.sort(key=lambda p: -len(p[0]))  # the longest phrase wins
    words = text.split()
    # a word with punctuation ("COVID-19") is never part of an abbreviation or phrase
    folded = [fold_word(w) if _WORD_RE.fullmatch(w) else None for w in words]
    # segments: (query text, [folded alternatives as word lists])
    segments: list[tuple[str, list[list[str]]]] = []
    changed, i = False, 0
    while i < len(words):
        phrase_hit = next((p for p in phrases if folded[i : i + len(p[0])] == p[0]), None)
        if phrase_hit is not None:
            span, entry, _ = phrase_hit
            typed = " ".join(words[i : i + len(span)])
            alternatives = [span, [fold_word(entry.abbreviation)]]
            # the typed words keep matching anywhere, as without the abbreviation
            segments.append((f"(({typed}) OR {entry.abbreviation})", alternatives))
            changed, i = True, i + len(span)
            continue
        word = words[i]
        entry = next(
            (e for e in by_short.get(folded[i], [])
             if not e.case_sensitive or word == e.abbreviation), None,
        )  # fmt: skip
        if entry is not None:
            quoted = " OR ".join(f'"{p}"' for p in entry.expansions)
            alternatives = [[folded[i]], *([fold_word(w) for w in p.split()]
                                           for p in entry.expansions)]  # fmt: skip
            segments.append((f"({word} OR {quoted})", alternatives))
            changed = True
        else:
            segments.append((word, [query_words(word)]))
        i += 1
    if not changed:
        return None
    variants = []
    for combo in itertools.islice(itertools.product(*(s[1] for s in segments)), MAX_VARIANTS):
        variants.append([w for part in combo for w in part])
    return Expansion(" ".join(s[0] for s in segments), variants)
