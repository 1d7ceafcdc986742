"""Controlled vocabularies of the catalog and the mappings from what sources say."""

from __future__ import annotations

import re
import unicodedata

#: Resource types (loại học liệu): code → Vietnamese label. Order is the display order.
TYPES = {
    "sach": "Sách/giáo trình",
    "bai-bao": "Bài báo",
    "bai-giang": "Bài giảng điện tử",
    "video": "Video/bài giảng truyền hình",
    "am-thanh": "Âm thanh",
    "da-phuong-tien": "Học liệu đa phương tiện",
    "mo-phong": "Phần mềm mô phỏng",
    "khoa-hoc": "Khóa học trực tuyến",
    "tham-khao": "Tài liệu tham khảo",
    "khac": "Khác",
}

#: What sources write (after folding) → type code. Dublin Core DCMI types included.
_TYPE_SYNONYMS = {
    "sach": "sach", "sach/giao trinh": "sach", "giao trinh": "sach", "book": "sach",
    "textbook": "sach", "ebook": "sach", "sach dien tu": "sach", "monograph": "sach",
    "bai bao": "bai-bao", "article": "bai-bao", "journal article": "bai-bao", "paper": "bai-bao",
    "bao": "bai-bao", "conference paper": "bai-bao", "preprint": "bai-bao",
    "bai giang": "bai-giang", "bai giang dien tu": "bai-giang", "lecture": "bai-giang",
    "lecture notes": "bai-giang", "slides": "bai-giang", "presentation": "bai-giang",
    "learning object": "bai-giang", "module": "bai-giang",
    "video": "video", "video/bai giang truyen hinh": "video", "bai giang truyen hinh": "video",
    "movingimage": "video", "moving image": "video", "film": "video",
    "am thanh": "am-thanh", "sound": "am-thanh", "audio": "am-thanh", "podcast": "am-thanh",
    "audiobook": "am-thanh",
    "hoc lieu da phuong tien": "da-phuong-tien", "multimedia": "da-phuong-tien",
    "interactiveresource": "da-phuong-tien", "interactive resource": "da-phuong-tien",
    "image": "da-phuong-tien", "stillimage": "da-phuong-tien",
    "phan mem mo phong": "mo-phong", "mo phong": "mo-phong", "simulation": "mo-phong",
    "software": "mo-phong",
    "khoa hoc truc tuyen": "khoa-hoc", "khoa hoc": "khoa-hoc", "course": "khoa-hoc",
    "mooc": "khoa-hoc", "online course": "khoa-hoc",
    "tai lieu tham khao": "tham-khao", "tham khao": "tham-khao", "reference": "tham-khao",
    "text": "tham-khao", "dataset": "tham-khao", "report": "tham-khao", "thesis": "tham-khao",
    "luan van": "tham-khao", "luan an": "tham-khao", "document": "tham-khao",
    "khac": "khac", "other": "khac",
}  # fmt: skip

#: Licences: code → (name, link). Codes are what the catalog stores and filters on.
LICENSES = {
    "cc0-1.0": (
        "CC0 1.0 (Phạm vi công cộng)",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
    "public-domain": ("Phạm vi công cộng", "https://creativecommons.org/publicdomain/mark/1.0/"),
    "cc-by-4.0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "cc-by-sa-4.0": ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    "cc-by-nc-4.0": ("CC BY-NC 4.0", "https://creativecommons.org/licenses/by-nc/4.0/"),
    "cc-by-nc-sa-4.0": ("CC BY-NC-SA 4.0", "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    "cc-by-nd-4.0": ("CC BY-ND 4.0", "https://creativecommons.org/licenses/by-nd/4.0/"),
    "cc-by-nc-nd-4.0": ("CC BY-NC-ND 4.0", "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
    "cc-by-3.0": ("CC BY 3.0", "https://creativecommons.org/licenses/by/3.0/"),
    "cc-by-sa-3.0": ("CC BY-SA 3.0", "https://creativecommons.org/licenses/by-sa/3.0/"),
    "cc-by-nc-3.0": ("CC BY-NC 3.0", "https://creativecommons.org/licenses/by-nc/3.0/"),
    "cc-by-nc-sa-3.0": ("CC BY-NC-SA 3.0", "https://creativecommons.org/licenses/by-nc-sa/3.0/"),
    "cc-by-nc-nd-3.0": ("CC BY-NC-ND 3.0", "https://creativecommons.org/licenses/by-nc-nd/3.0/"),
    "all-rights-reserved": ("Bảo lưu mọi quyền", None),
    "unknown": ("Chưa rõ giấy phép", None),
}

#: Levels (trình độ / đối tượng).
LEVELS = {
    "tieu-hoc": "Tiểu học",
    "thcs": "Trung học cơ sở",
    "thpt": "Trung học phổ thông",
    "dai-hoc": "Đại học",
    "sau-dai-hoc": "Sau đại học",
    "pho-cap": "Phổ cập",
}
_LEVEL_SYNONYMS = {
    "tieu hoc": "tieu-hoc", "primary": "tieu-hoc",
    "thcs": "thcs", "trung hoc co so": "thcs", "lower secondary": "thcs",
    "thpt": "thpt", "trung hoc pho thong": "thpt", "upper secondary": "thpt",
    "secondary": "thpt", "high school": "thpt",
    "dai hoc": "dai-hoc", "cao dang": "dai-hoc", "undergraduate": "dai-hoc",
    "higher education": "dai-hoc", "university": "dai-hoc",
    "sau dai hoc": "sau-dai-hoc", "graduate": "sau-dai-hoc", "postgraduate": "sau-dai-hoc",
    "pho cap": "pho-cap", "moi nguoi": "pho-cap", "general public": "pho-cap",
    "nguoi dan": "pho-cap", "lifelong learning": "pho-cap",
}  # fmt: skip

LANGUAGES = {
    "vi": "Tiếng Việt", "en": "Tiếng Anh", "fr": "Tiếng Pháp", "zh": "Tiếng Trung",
    "ja": "Tiếng Nhật", "ko": "Tiếng Hàn", "ru": "Tiếng Nga", "de": "Tiếng Đức",
    "km": "Tiếng Khmer", "lo": "Tiếng Lào", "es": "Tiếng Tây Ban Nha",
}  # fmt: skip
_LANGUAGE_SYNONYMS = {
    "vie": "vi", "vi-vn": "vi", "vietnamese": "vi", "tieng viet": "vi",
    "eng": "en", "en-us": "en", "en-gb": "en", "english": "en", "tieng anh": "en",
    "fra": "fr", "fre": "fr", "french": "fr", "zho": "zh", "chi": "zh", "jpn": "ja",
    "kor": "ko", "rus": "ru", "deu": "de", "ger": "de", "khm": "km", "lao": "lo", "spa": "es",
}  # fmt: skip

PROVIDER_KINDS = {
    "university": "Trường đại học, học viện",
    "library": "Thư viện",
    "publisher": "Nhà xuất bản, nền tảng học liệu",
    "government": "Cơ quan nhà nước",
    "media": "Báo chí, truyền hình",
    "other": "Khác",
}


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics (đ → d), collapse spaces."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.split())


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:80] or "x"


def map_type(value: str | None) -> str:
    """The controlled type for a source's value; unknown values become `khac`."""
    if not value:
        return "khac"
    key = fold(value).strip(" .")
    if key in TYPES:
        return key
    if key in _TYPE_SYNONYMS:
        return _TYPE_SYNONYMS[key]
    for label_code, label in TYPES.items():
        if fold(label) == key:
            return label_code
    # DCMI URIs and prefixed vocabularies: keep the last path part
    tail = re.split(r"[/#:]", key)[-1].strip()
    return _TYPE_SYNONYMS.get(tail, "khac")


_CC_RE = re.compile(
    r"\bcc[\s-]*(by(?:[\s-]*(?:nc|sa|nd))*)\b[\s-]*(\d\.\d)?|creativecommons\.org/licenses/"
    r"([a-z-]+)/(\d\.\d)"
)


def map_license(value: str | None) -> str:
    """Normalise a rights statement to a licence code (see `LICENSES`)."""
    if not value or not value.strip():
        return "unknown"
    key = fold(value)
    if key in LICENSES:
        return key
    if "publicdomain/zero" in key or re.search(r"\bcc0\b", key):
        return "cc0-1.0"
    if "public domain" in key or "publicdomain/mark" in key or "pham vi cong cong" in key:
        return "public-domain"
    match = _CC_RE.search(key)
    if match:
        parts = match.group(1) or match.group(3) or ""
        version = match.group(2) or match.group(4) or "4.0"
        elements = re.findall(r"nc|sa|nd", parts)
        code = "cc-by" + "".join(f"-{e}" for e in elements) + f"-{version}"
        return code if code in LICENSES else "unknown"
    if "all rights reserved" in key or "bao luu" in key or "copyright" in key:
        return "all-rights-reserved"
    return "unknown"


def _lookup(value: str | None, codes: dict, synonyms: dict) -> str | None:
    """The code for a value given as a code, a synonym or a label (any case or accents)."""
    if not value or not value.strip():
        return None
    key = fold(value)
    if key in codes:
        return key
    if key in synonyms:
        return synonyms[key]
    return next((code for code, label in codes.items() if fold(label) == key), None)


def map_level(value: str | None) -> str | None:
    return _lookup(value, LEVELS, _LEVEL_SYNONYMS)


def map_language(value: str | None) -> str | None:
    code = _lookup(value, LANGUAGES, _LANGUAGE_SYNONYMS)
    if code is None and value:
        short = fold(value).split("-")[0]  # "vi-VN", "en-GB"
        code = short if short in LANGUAGES else None
    return code


def license_name(code: str) -> str:
    return LICENSES.get(code, LICENSES["unknown"])[0]


def license_url(code: str) -> str | None:
    return LICENSES.get(code, LICENSES["unknown"])[1]
