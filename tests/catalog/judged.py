"""Judged query sets for how Vietnamese is written and typed (issue 18, Part 1).

Each judged query names the record a person typing it wants and the distractors: records
that match the typed spelling exactly (or the words in another order) but are less
relevant. A query is a hit when the wanted record is in the top 3 and above every
distractor; for Telex/VNI and misspellings the "Có phải bạn muốn tìm" text must also be
the expected Vietnamese.

Run `.venv/bin/python -m tests.catalog.judged` to print the hit rate of each set against
the real catalog (content/) plus the distractor rows below, on a throwaway SQLite database.
"""

from __future__ import annotations

from dataclasses import dataclass

from .conftest import COLUMNS

#: A small catalog of wanted records and distractors, imported beside the real catalog.
JUDGED_ROWS = [
    # spelling: i/y and tone placement; distractors use the typed spelling exactly
    ("j:ky-nang", "Kỹ năng sống cho thanh niên", "Rèn luyện kỹ năng giao tiếp.", "",
     "Kỹ năng mềm", "Trung tâm Học tập cộng đồng", "sách/giáo trình", "vi", "phổ cập",
     "CC BY 4.0", "https://example.org/j/ky-nang", "2021"),
    ("j:nang-luong", "Kĩ thuật điện mặt trời và năng lượng tái tạo",
     "Lắp đặt tấm pin; kĩ thuật an toàn.", "", "Năng lượng", "Sở Công Thương",
     "bài giảng điện tử", "vi", "đại học", "CC BY 4.0", "https://example.org/j/nang-luong",
     "2020"),
    ("j:hoa-hoc", "Hóa học đại cương", "Nguyên tử, phân tử và phản ứng.", "", "Hóa học",
     "Trường Đại học Tây Nguyên", "sách/giáo trình", "vi", "đại học", "CC BY 4.0",
     "https://example.org/j/hoa-hoc", "2019"),
    ("j:hoa-trang", "Hoá trang sân khấu cho người mới học",
     "Nghệ thuật hoá trang cơ bản.", "", "Nghệ thuật", "Nhà hát tỉnh", "video", "vi",
     "phổ cập", "CC BY 4.0", "https://example.org/j/hoa-trang", "2018"),
    ("j:thuy-loi", "Thủy lợi nội đồng", "Kênh mương, tưới tiêu cho lúa.", "", "Nông nghiệp",
     "Sở Nông nghiệp", "tài liệu tham khảo", "vi", "phổ cập", "CC BY 4.0",
     "https://example.org/j/thuy-loi", "2017"),
    ("j:thuy-san", "Nuôi thuỷ sản nước ngọt có lợi nhuận",
     "Thuỷ sản và lợi ích kinh tế hộ gia đình.", "", "Nông nghiệp", "Sở Nông nghiệp", "video",
     "vi", "phổ cập", "CC BY 4.0", "https://example.org/j/thuy-san", "2022"),
    ("j:suc-khoe", "Chăm sóc sức khỏe người cao tuổi", "Dinh dưỡng, vận động.", "",
     "Y tế - sức khỏe", "Trung tâm Y tế huyện", "sách/giáo trình", "vi", "phổ cập",
     "CC BY 4.0", "https://example.org/j/suc-khoe", "2023"),
    ("j:suc-ben", "Bài tập sức bền cho người khoẻ mạnh", "Chạy bộ và bơi.", "", "Thể thao",
     "Sở Văn hóa", "video", "vi", "phổ cập", "CC BY 4.0", "https://example.org/j/suc-ben",
     "2023"),
    ("j:vat-ly", "Vật lý đại cương", "Cơ học, nhiệt học, điện học.", "", "Vật lý",
     "Trường Đại học Tây Nguyên", "sách/giáo trình", "vi", "đại học", "CC BY 4.0",
     "https://example.org/j/vat-ly", "2016"),
    ("j:vat-lieu", "Vật liệu xây dựng và lí thuyết kết cấu", "Bê tông, thép.", "",
     "Xây dựng", "Trường Cao đẳng Xây dựng", "sách/giáo trình", "vi", "đại học", "CC BY 4.0",
     "https://example.org/j/vat-lieu", "2016"),
    # word order
    ("j:hoc-sinh", "Cẩm nang cho học sinh lớp 9", "Ôn thi vào lớp 10.", "", "Giáo dục",
     "Sở Giáo dục và Đào tạo", "sách/giáo trình", "vi", "trung học cơ sở", "CC BY 4.0",
     "https://example.org/j/hoc-sinh", "2024"),
    ("j:sinh-hoc", "Sinh học tế bào", "Tế bào, di truyền, dành cho sinh viên học năm nhất.",
     "", "Sinh học", "Trường Đại học Tây Nguyên", "sách/giáo trình", "vi", "đại học",
     "CC BY 4.0", "https://example.org/j/sinh-hoc", "2024"),
    ("j:may-tinh-kh", "Hướng dẫn dùng máy tính khoa học Casio",
     "Bấm máy tính cầm tay trong giờ học toán.", "", "Toán học", "Nhà xuất bản Giáo dục",
     "video", "vi", "trung học cơ sở", "CC BY 4.0", "https://example.org/j/may-tinh-kh",
     "2020"),
    ("j:khmt", "Khoa học máy tính nhập môn", "Thuật toán, lập trình.", "",
     "Khoa học máy tính", "Trường Đại học Tây Nguyên", "sách/giáo trình", "vi", "đại học",
     "CC BY 4.0", "https://example.org/j/khmt", "2020"),
    # abbreviations
    ("j:cntt", "Ứng dụng công nghệ thông tin trong dạy học", "Soạn bài giảng điện tử.", "",
     "Tin học", "Sở Giáo dục và Đào tạo", "bài giảng điện tử", "vi", "phổ cập", "CC BY 4.0",
     "https://example.org/j/cntt", "2022"),
    ("j:ke-toan", "Sổ tay kế toán trường học", "Phối hợp với tổ CNTT khi nhập số liệu.", "",
     "Kế toán", "Sở Tài chính", "tài liệu tham khảo", "vi", "phổ cập", "CC BY 4.0",
     "https://example.org/j/ke-toan", "2022"),
    ("j:cntt-abbr", "Bồi dưỡng CNTT cơ bản cho cán bộ xã", "Máy tính, thư điện tử.", "",
     "Tin học", "UBND tỉnh", "khóa học trực tuyến", "vi", "phổ cập", "CC BY 4.0",
     "https://example.org/j/cntt-abbr", "2023"),
    ("j:attt", "An toàn thông tin cho người dùng mạng", "Mật khẩu, lừa đảo.", "",
     "An toàn thông tin", "Sở Thông tin và Truyền thông", "video", "vi", "phổ cập",
     "CC BY 4.0", "https://example.org/j/attt", "2024"),
    ("j:thpt", "Ôn thi tốt nghiệp trung học phổ thông môn Ngữ văn", "Đề và đáp án.", "",
     "Ngữ văn", "Sở Giáo dục và Đào tạo", "sách/giáo trình", "vi", "trung học phổ thông",
     "CC BY 4.0", "https://example.org/j/thpt", "2024"),
    ("j:ubnd", "Thủ tục hành chính tại Ủy ban nhân dân xã", "Hộ tịch, chứng thực.", "",
     "Hành chính", "Sở Tư pháp", "tài liệu tham khảo", "vi", "phổ cập", "CC BY 4.0",
     "https://example.org/j/ubnd", "2024"),
    # typed without the input method
    ("j:tin-hoc-vp", "Tin học văn phòng cơ bản", "Word, Excel, PowerPoint.", "", "Tin học",
     "Trung tâm Giáo dục thường xuyên", "khóa học trực tuyến", "vi", "phổ cập", "CC BY 4.0",
     "https://example.org/j/tin-hoc-vp", "2024"),
    ("j:tieng-viet", "Tiếng Việt cho người lớn tuổi", "Đọc, viết.", "", "Ngữ văn",
     "Trung tâm Học tập cộng đồng", "sách/giáo trình", "vi", "phổ cập", "CC BY 4.0",
     "https://example.org/j/tieng-viet", "2024"),
    # regional misspellings
    ("j:lam-vuon", "Làm vườn tại nhà", "Trồng rau sạch.", "", "Nông nghiệp",
     "Hội Nông dân", "video", "vi", "phổ cập", "CC BY 4.0", "https://example.org/j/lam-vuon",
     "2024"),
]  # fmt: skip


@dataclass(frozen=True)
class Judged:
    query: str
    wanted: str
    distractors: tuple[str, ...] = ()
    #: the "Có phải bạn muốn tìm" text expected (Telex/VNI, misspellings)
    suggestion: str | None = None
    #: how deep the wanted record may be
    depth: int = 3


SETS: dict[str, list[Judged]] = {
    "spelling": [
        Judged("kĩ năng", "j:ky-nang", ("j:nang-luong",)),
        Judged("kĩ năng sống", "j:ky-nang", ("j:nang-luong",)),
        Judged("kỹ năng sống", "j:ky-nang", ("j:nang-luong",)),
        Judged("hoá học", "j:hoa-hoc", ("j:hoa-trang",)),
        Judged("hoá học", "khan-vi:chemistry", ("j:hoa-trang",)),
        Judged("thuỷ lợi", "j:thuy-loi", ("j:thuy-san",)),
        Judged("sức khoẻ", "j:suc-khoe", ("j:suc-ben",)),
        Judged("vật lí", "j:vat-ly", ("j:vat-lieu",)),
        Judged("vật lí", "khan-vi:physics", ("j:vat-lieu",)),
    ],
    "word_order": [
        Judged("học sinh", "j:hoc-sinh", ("j:sinh-hoc", "khan-vi:biology")),
        Judged("hoc sinh", "j:hoc-sinh", ("j:sinh-hoc", "khan-vi:biology")),
        Judged("sinh học", "j:sinh-hoc", ("j:hoc-sinh",)),
        Judged("sinh học", "khan-vi:biology", ("j:hoc-sinh",)),
        Judged("máy tính khoa học", "j:may-tinh-kh", ("j:khmt", "khan-vi:computer-science")),
        Judged("may tinh khoa hoc", "j:may-tinh-kh", ("j:khmt", "khan-vi:computer-science")),
        Judged("khoa học máy tính", "j:khmt", ("j:may-tinh-kh",)),
        Judged("khoa hoc may tinh", "khan-vi:computer-science", ("j:may-tinh-kh",)),
    ],
    "abbreviations": [
        Judged("CNTT", "j:cntt", ("j:ke-toan",)),
        Judged("cntt", "funix:trang-chu", ("j:ke-toan",)),
        Judged("công nghệ thông tin", "j:cntt-abbr"),
        Judged("ATTT", "j:attt"),
        Judged("THPT", "j:thpt"),
        Judged("UBND", "j:ubnd"),
        Judged("AI", "wikipedia-vi:tri-tue-nhan-tao"),
    ],
    "telex_vni": [
        Judged("an toanf thoong tin", "j:attt", suggestion="an toàn thông tin"),
        Judged("tinf hocj vawn phongf", "j:tin-hoc-vp", suggestion="tin học văn phòng"),
        Judged("tie61ng Vie65t", "j:tieng-viet", suggestion="tiếng Việt"),
        Judged("kyx nawng soongs", "j:ky-nang", suggestion="kỹ năng sống"),
        Judged("tin ho5c va8n pho2ng", "j:tin-hoc-vp", suggestion="tin học văn phòng"),
    ],
    "misspellings": [
        Judged("trăm sóc sức khỏe", "j:suc-khoe", suggestion="chăm sóc sức khỏe"),
        Judged("xức khỏe người cao tuổi", "j:suc-khoe", suggestion="sức khỏe người cao tuổi"),
        Judged("nàm vườn", "j:lam-vuon", suggestion="làm vườn"),
        Judged("an toàng thông tin", "j:attt", suggestion="an toàn thông tin"),
    ],
}


def judged_rows():
    return [(n, dict(zip(COLUMNS, row, strict=True))) for n, row in enumerate(JUDGED_ROWS, 2)]


def is_hit(judged: Judged, result) -> bool:
    found = [r["identifier"] for r in result.results]
    if judged.wanted not in found[: judged.depth]:
        return False
    place = found.index(judged.wanted)
    if any(d in found and found.index(d) < place for d in judged.distractors):
        return False
    if judged.suggestion is not None:
        return (result.suggestion or "").lower() == judged.suggestion.lower()
    return True


def run_query(text: str):
    from werkzeug.datastructures import MultiDict

    from hoctap_learn import search

    return search.search(search.params_from_args(MultiDict({"q": text})))


def measure() -> dict[str, tuple[int, int, list[str]]]:
    """set name → (hits, queries, missed queries)."""
    out = {}
    for name, judged in SETS.items():
        missed = [f"{j.query} → {j.wanted}" for j in judged if not is_hit(j, run_query(j.query))]
        out[name] = (len(judged) - len(missed), len(judged), missed)
    return out


def main() -> None:  # pragma: no cover - a measuring script
    import tempfile
    from pathlib import Path

    from flask_migrate import upgrade

    from hoctap_learn import create_app
    from hoctap_learn.catalog.files import import_rows
    from hoctap_learn.core.content import load_content
    from hoctap_learn.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/judged.db",
            "INSTANCE_PATH": Path(tmp) / "instance", "HOCTAP_INDEX_DIR": f"{tmp}/index",
            "HOCTAP_UPLOAD_DIR": f"{tmp}/uploads", "SECRET_KEY": "judged",
        })  # fmt: skip
        with app.app_context():
            upgrade()
            load_content(Path(app.config["HOCTAP_CONTENT_DIR"]), include_demo=False)
            report = import_rows(judged_rows(), source="judged")
            assert report.errors == [], report.errors
            db.session.commit()
            for name, (hits, total, missed) in measure().items():
                print(f"{name:14} {hits}/{total}  ({100 * hits / total:.0f} %)")
                for line in missed:
                    print(f"{'':14} missed: {line}")
            db.engine.dispose()


if __name__ == "__main__":  # pragma: no cover
    main()
