"""'Có phải bạn muốn tìm …': a corrected query in proper Vietnamese, when it finds more —
edit distance, text typed with the Vietnamese keyboard off (Telex/VNI), regional spellings."""

from __future__ import annotations

import re
import threading

from ..catalog.vocab import fold
from . import keyboard
from .analysis import fold_word, normalize_spelling
from .facets import segment_leaves
from .params import MAX_TERMS
from .parsing import count

_local = threading.local()

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
    if count(searcher, candidate) <= current_total:
        return None
    forms = _accented_forms(reader)
    typed = [w for w in re.findall(r"\w+", text)][:MAX_TERMS]
    return " ".join(
        t if w == fold_word(t) and fold(t) != t.lower() else forms.get(w, w)  # keep typed accents
        for t, w in zip(typed, corrected, strict=True)
    )


def spoken(reader, decoded: str) -> str:
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


def regional_suggestion(searcher, text: str, current_total: int) -> str | None:
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
            hits = count(searcher, " ".join(candidate))
            if hits > best_hits:
                best, best_hits = " ".join(candidate), hits
    return best
