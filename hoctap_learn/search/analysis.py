"""Vietnamese text analysis for Whoosh: syllable tokens, NFC, accent folding (đ → d).

No word segmenter: Vietnamese words are one to four syllables separated by spaces, and a
segmenter trained on accented text splits unaccented queries differently from the indexed
text. Syllable tokens with positions make phrase queries do the work of words instead.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer

from ..catalog.vocab import fold

#: Letters (incl. Vietnamese), digits; keeps "4.0", "COVID-19", "e-learning" together.
TOKEN_PATTERN = r"\w+(?:[.\-]\w+)*"


class NfcFilter(Filter):
    """Compose to NFC so "ọ" typed as o + dot below matches the precomposed letter."""

    def __call__(self, tokens):
        for token in tokens:
            if not unicodedata.is_normalized("NFC", token.text):
                token.text = unicodedata.normalize("NFC", token.text)
            yield token


#: Syllables repeat endlessly; folding each distinct one once makes indexing much cheaper.
_fold_token = lru_cache(maxsize=500_000)(fold)


class FoldFilter(Filter):
    """Strip diacritics; đ → d. Keeps start/end characters so highlights hit accented text."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = _fold_token(token.text)
            yield token


def exact_analyzer():
    """Lower-cased syllables with their accents."""
    return RegexTokenizer(TOKEN_PATTERN) | NfcFilter() | LowercaseFilter()


def folded_analyzer():
    """Lower-cased syllables without accents."""
    return RegexTokenizer(TOKEN_PATTERN) | NfcFilter() | LowercaseFilter() | FoldFilter()


def normalize_text(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")
