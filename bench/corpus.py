"""Deterministic synthetic Vietnamese catalog records for benchmarks."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SUBJECTS = [
    "Toán học", "Vật lý", "Hóa học", "Sinh học", "Tin học", "Kỹ năng số", "Chuyển đổi số",
    "An toàn thông tin", "Kinh tế", "Quản trị kinh doanh", "Tiếng Anh", "Văn học", "Lịch sử",
    "Địa lý", "Giáo dục công dân", "Pháp luật", "Y tế - sức khỏe", "Nông nghiệp", "Môi trường",
    "Kỹ năng sống", "Giáo dục thường xuyên", "Thư viện - thông tin", "Kỹ thuật",
    "Điện - điện tử", "Khoa học dữ liệu", "Trí tuệ nhân tạo", "Lập trình", "Âm nhạc",
    "Mỹ thuật", "Du lịch", "Thủy sản", "Đào tạo nghề", "Dịch vụ công trực tuyến",
]  # fmt: skip
TYPES = ["sach", "bai-bao", "bai-giang", "video", "am-thanh", "da-phuong-tien", "mo-phong",
         "khoa-hoc", "tham-khao", "khac"]  # fmt: skip
LICENSES = ["cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-sa-4.0", "cc-by-nc-4.0", "unknown",
            "all-rights-reserved", "cc-by-3.0"]  # fmt: skip
LEVELS = ["tieu-hoc", "thcs", "thpt", "dai-hoc", "sau-dai-hoc", "pho-cap", None]
LANGS = ["vi"] * 7 + ["en"] * 2 + ["fr"]
EXTRA_WORDS = (
    "học tập suốt đời chuyển đổi số kỹ năng số đào tạo từ xa giáo dục thường xuyên thư viện "
    "công dân số an toàn thông tin dữ liệu cá nhân dịch vụ công trực tuyến thanh toán điện tử "
    "bài giảng điện tử giáo trình khóa học trực tuyến người dân cộng đồng học tập Đắk Lắk "
    "Đà Nẵng Bà Rịa Vũng Tàu Côn Đảo Phú Mỹ Long Điền Xuyên Mộc Châu Đức Đất Đỏ phát triển "
    "bền vững đổi mới sáng tạo nghiên cứu khoa học phương pháp dạy học hướng dẫn thực hành"
)


def vocabulary() -> list[str]:
    """Syllables from the real catalog plus common words, with natural-ish frequencies."""
    words: list[str] = EXTRA_WORDS.split() * 3
    path = ROOT / "content" / "catalog" / "resources.csv"
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = re.sub(r"<[^>]+>", " ", row["title"] + " " + row["description"])
            words.extend(re.findall(r"\w+", text))
    return [w for w in words if not w.isdigit()]


def records(n: int, seed: int = 20221019):
    rng = random.Random(seed)
    vocab = vocabulary()
    kinds = ["Trường Đại học", "Thư viện", "Nhà xuất bản", "Học viện"]
    publishers = [
        f"{rng.choice(kinds)} {' '.join(rng.choices(vocab, k=2)).title()} {i}" for i in range(200)
    ]
    for i in range(n):
        title = " ".join(rng.choices(vocab, k=rng.randint(5, 12)))
        description = " ".join(rng.choices(vocab, k=rng.randint(30, 80)))
        yield {
            "identifier": f"bench:{i}",
            "title": title[:1].upper() + title[1:],
            "description": description + ".",
            "creators": [" ".join(rng.choices(vocab, k=3)).title()],
            "subjects": rng.sample(SUBJECTS, rng.randint(1, 3)),
            "publisher": rng.choice(publishers),
            "type": rng.choice(TYPES),
            "language": rng.choice(LANGS),
            "level": rng.choice(LEVELS),
            "license": rng.choice(LICENSES),
            "url": f"https://example.org/r/{i}",
            "year": rng.randint(1995, 2025),
        }


def queries(seed: int = 7) -> list[dict]:
    """A fixed mix of ≥200 searches: kinds × pages × facet filters."""
    rng = random.Random(seed)
    single = ["học", "hoc", "số", "đào", "dao", "thư", "kỹ", "ky", "dữ", "du", "giáo", "giao",
              "Đà", "lập", "lap", "khoa", "vật", "vat", "mạng", "mang"]  # fmt: skip
    multi = ["học tập suốt đời", "hoc tap suot doi", "chuyển đổi số", "chuyen doi so",
             "kỹ năng số", "ky nang so", "đào tạo từ xa", "dao tao tu xa", "an toàn thông tin",
             "an toan thong tin", "dữ liệu cá nhân", "du lieu ca nhan", "thư viện số",
             "thu vien so", "dịch vụ công", "dich vu cong", "giáo dục thường xuyên",
             "giao duc thuong xuyen", "bài giảng điện tử", "bai giang dien tu"]  # fmt: skip
    phrases = [f'"{m}"' for m in multi]
    filters = [None, {"type": "sach"}, {"language": "vi"}, {"subject": "Chuyển đổi số"}]
    out = []
    for kind, texts in (("single", single), ("multi", multi), ("phrase", phrases)):
        for text in texts:
            unaccented = text.isascii() or text.strip('"').isascii()
            for page in (1, 5):
                for facet_filter in ({}, rng.choice(filters[1:])):
                    out.append(
                        {
                            "kind": kind,
                            "q": text,
                            "page": page,
                            "unaccented": unaccented,
                            "filters": facet_filter,
                        }
                    )
    return out
