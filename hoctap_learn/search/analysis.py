"""Vietnamese text analysis for Whoosh: syllable tokens, NFC, spelling, accent folding.

Spellings Vietnamese allows for one word become one token, in the index and in queries
alike: i/y after a single consonant (kĩ/kỹ, lí/lý, mĩ/mỹ) and the old and new tone-mark
placement (hoá/hóa, thuỷ/thủy, khoẻ/khỏe).

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


_TONES = {"\u0301", "\u0300", "\u0309", "\u0303", "\u0323"}  # sắc huyền hỏi ngã nặng
#: A single initial consonant before a lone i/y: kĩ/kỹ, lí/lý, mĩ/mỹ, hi/hy, tỉ/tỷ, sĩ/sỹ.
_IY_INITIALS = set("bdđhklmnrstvx")
#: Open syllables whose tone may sit on either vowel: hoá/hóa, khoẻ/khỏe, thuỷ/thủy.
_GLIDE_RHYMES = ("oa", "oe", "uy")


@lru_cache(maxsize=200_000)
def normalize_spelling(word: str) -> str:
    """One spelling of a lower-case NFC syllable: a lone i (not y) after a single
    consonant, and the tone on the first vowel of an open oa/oe/uy (hóa, khỏe, thủy)."""
    if len(word) > 7 or not word.isalpha():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) > 1:
        return word
    tone = tones[0] if tones else ""
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    if len(bare) == 2 and bare[0] in _IY_INITIALS and bare[1] == "y":
        bare = bare[0] + "i"
    elif tone and bare.endswith(_GLIDE_RHYMES) and not bare.startswith("qu") and (
        len(bare) == 2 or bare[-3] not in "aeiouyâăêôơư"
    ):
        vowel = len(bare) - 2
        return unicodedata.normalize("NFC", bare[: vowel + 1] + tone + bare[vowel + 1 :])
    if not tone:
        return bare if bare != word else word
    # elsewhere the tone stays on its letter: the letters before it are the same in `bare`
    position = len(unicodedata.normalize("NFC", decomposed[: decomposed.index(tone)])) - 1
    return unicodedata.normalize("NFC", bare[: position + 1] + tone + bare[position + 1 :])


class SpellingFilter(Filter):
    """One spelling for the variants Vietnamese allows (see `normalize_spelling`)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = normalize_spelling(token.text)
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
    return RegexTokenizer(TOKEN_PATTERN) | NfcFilter() | LowercaseFilter() | SpellingFilter()


def folded_analyzer():
    """Lower-cased syllables without accents."""
    return (
        RegexTokenizer(TOKEN_PATTERN) | NfcFilter() | LowercaseFilter() | SpellingFilter()
        | FoldFilter()
    )


def fold_word(word: str) -> str:
    """A query word as the folded fields index it (spelling normalised, accents stripped)."""
    return _fold_token(normalize_spelling(unicodedata.normalize("NFC", word.lower())))


def normalize_text(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")
