"""What people type: Telex and VNI with the Vietnamese keyboard off, regional misspellings.

`decode_query("tinf hocj vawn phongf")` → "tin học văn phòng"; `decode_query("tie61ng
Vie65t")` → "tiếng Việt". A word is decoded only when it holds typing keys and the result is
a well-formed Vietnamese syllable; the caller checks that the decoded query finds more.
`regional_variants("trăm")` → "chăm", …: the spellings of the ch/tr, s/x, l/n, d/gi/r,
final n/ng and c/t confusions, with the typed tone kept.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TONE_MARKS = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_VNI_TONES = {"1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303", "5": "\u0323"}
_CIRCUMFLEX = {"a": "â", "e": "ê", "o": "ô"}
_HAT = "âăêôơư"

INITIALS = (
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)  # fmt: skip
FINALS = ("ch", "ng", "nh", "c", "m", "n", "p", "t", "")
#: Vowel clusters of Vietnamese syllables (after an initial, before a final).
NUCLEI = {
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y",
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi",
    "ôi", "ơi", "ua", "uâ", "uê", "ui", "uô", "uơ", "uy", "ưa", "ưi", "ươ", "ưu", "yê",
    "iêu", "oai", "oay", "oeo", "uây", "uôi", "ươi", "ươu", "uya", "uyê", "uyu", "yêu",
}  # fmt: skip
#: Clusters that take no final consonant.
_OPEN_ONLY = {"ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iu", "oi", "ôi", "ơi",
              "ua", "ui", "ưa", "ưi", "ưu", "iêu", "oai", "oay", "oeo", "uây", "uôi", "ươi",
              "ươu", "uya", "uyu", "yêu"}  # fmt: skip
_VOWELS = set("aăâeêioôơuưy")
_WORD = re.compile(r"^[a-zđ]+[a-z0-9đ]*$")


def _split(bare: str) -> tuple[str, str, str] | None:
    """(initial, vowel cluster, final) of a tone-less syllable, or None if not Vietnamese."""
    for initial in INITIALS:
        if not bare.startswith(initial):
            continue
        rest = bare[len(initial) :]
        for final in FINALS:
            if final and not rest.endswith(final):
                continue
            nucleus = rest[: len(rest) - len(final)] if final else rest
            if nucleus in NUCLEI and not (final and nucleus in _OPEN_ONLY):
                return initial, nucleus, final
        if initial == "gi" and rest and rest[0] not in _VOWELS:  # "gìn": g + i + n
            continue
    return None


def _place_tone(initial: str, nucleus: str, final: str, tone: str) -> str:
    if not tone:
        return initial + nucleus + final
    hats = [i for i, c in enumerate(nucleus) if c in "âăêôơ"]
    if "ươ" in nucleus:
        at = nucleus.index("ươ") + 1
    elif hats:
        at = hats[-1]
    elif "ư" in nucleus:
        at = nucleus.index("ư")
    elif final or len(nucleus) == 1:
        at = len(nucleus) - 1
    elif len(nucleus) == 3:
        at = 1
    else:
        at = 0
    marked = nucleus[: at + 1] + tone + nucleus[at + 1 :]
    return unicodedata.normalize("NFC", initial + marked + final)


def _horn(letters: str) -> str | None:
    if "uo" in letters:
        return letters.replace("uo", "ươ", 1)
    for plain, horned in (("u", "ư"), ("o", "ơ"), ("a", "ă")):
        if plain in letters:
            return letters.replace(plain, horned, 1)
    return None


@lru_cache(maxsize=20_000)
def decode_word(word: str) -> str | None:
    """The Vietnamese syllable a Telex or VNI key sequence types, or None."""
    lower = word.lower()
    if not _WORD.match(lower) or len(lower) > 12:
        return None
    tone, keys = "", 0
    if any(c.isdigit() for c in lower):  # VNI
        letters, pending = "", []
        for c in lower:
            if c.isdigit():
                pending.append(c)
            else:
                letters += c
        if "0" in pending:
            return None
        for digit in pending:
            keys += 1
            if digit in _VNI_TONES:
                if tone:
                    return None
                tone = _VNI_TONES[digit]
            elif digit == "6":
                spot = max((letters.rfind(v) for v in "aeo"), default=-1)
                if spot < 0:
                    return None
                letters = letters[:spot] + _CIRCUMFLEX[letters[spot]] + letters[spot + 1 :]
            elif digit == "7":  # "u7o7" and "uo7" both type "ươ"
                letters = letters if "ươ" in letters else _horn(letters)
            elif digit == "8":
                letters = letters.replace("a", "ă", 1) if "a" in letters else None
            elif digit == "9":
                letters = "đ" + letters[1:] if letters.startswith("d") else None
            if letters is None:
                return None
    else:  # Telex
        letters = lower
        if letters.startswith("dd"):
            letters, keys = "đ" + letters[2:], keys + 1
        first_vowel = next((i for i, c in enumerate(letters) if c in _VOWELS), None)
        if first_vowel is None:
            return None
        head, tail = letters[:first_vowel], ""
        for c in letters[first_vowel:]:
            if c in _TONE_MARKS:
                if tone:
                    return None
                tone, keys = _TONE_MARKS[c], keys + 1
            elif c == "w":
                tail = _horn(tail)
                keys += 1
                if tail is None:
                    return None
            elif c in _CIRCUMFLEX and tail.endswith(c):
                tail, keys = tail[:-1] + _CIRCUMFLEX[c], keys + 1
            elif c in _CIRCUMFLEX and c in tail and tail[-1] not in _VOWELS:
                # a deferred doubling: "tieng" + "e" → "tiêng"
                spot = tail.rfind(c)
                tail, keys = tail[:spot] + _CIRCUMFLEX[c] + tail[spot + 1 :], keys + 1
            else:
                tail += c
        letters = head + tail
    if not keys:
        return None
    parts = _split(letters)
    if parts is None:
        return None
    decoded = _place_tone(*parts, tone)
    return decoded.capitalize() if word[0].isupper() else decoded


def decode_query(text: str) -> str | None:
    """The query with each Telex/VNI word decoded, or None when no word is."""
    out, changed = [], False
    for word in text.split():
        decoded = decode_word(word) if word.isalnum() else None
        out.append(decoded or word)
        changed = changed or decoded is not None
    return " ".join(out) if changed else None


# --- regional misspellings ---------------------------------------------------------------------

_INITIAL_SWAPS = {"ch": ("tr",), "tr": ("ch",), "s": ("x",), "x": ("s",), "l": ("n",),
                  "n": ("l",), "d": ("gi", "r"), "gi": ("d", "r"), "r": ("d", "gi")}  # fmt: skip
_FINAL_SWAPS = {"ng": ("n",), "n": ("ng",), "c": ("t",), "t": ("c",)}


def regional_variants(word: str) -> list[str]:
    """Spellings of a syllable that the regional confusions make, keeping its tone."""
    lower = unicodedata.normalize("NFC", word.lower())
    if not lower.isalpha():
        return []
    out = []
    for initial in sorted(_INITIAL_SWAPS, key=len, reverse=True):
        if lower.startswith(initial):
            rest = lower[len(initial) :]
            if initial in ("n",) and rest[:1] in ("g", "h"):
                break  # "ng", "nh" are other consonants
            out.extend(other + rest for other in _INITIAL_SWAPS[initial])
            break
    for final, others in _FINAL_SWAPS.items():
        if lower.endswith(final) and len(lower) > len(final):
            stem = lower[: -len(final)]
            if final == "n" and stem.endswith(("g", "h")):
                continue
            if final == "c" and stem.endswith("h"):
                continue
            out.extend(stem + other for other in others)
            break
    return out
