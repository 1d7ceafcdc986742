"""A small catalog built for the search cases: accents, đ, phrases, facets, years."""

from __future__ import annotations

import pytest

from hoctap_learn.catalog.files import import_rows

ROWS = [
    # the columns of COLUMNS below, in order
    ("t:hoc-tap", "Học tập suốt đời trong thời đại số",
     "Cẩm nang học tập suốt đời cho người dân; kỹ năng tự học.", "Nguyễn Văn An",
     "Giáo dục thường xuyên;Kỹ năng số", "Hội Khuyến học Việt Nam", "sách/giáo trình", "vi",
     "phổ cập", "CC BY 4.0", "https://example.org/hoc-tap", "2022"),
    ("t:hoc-bua", "Hóc búa: tuyển tập câu đố",
     "Những câu đố hóc búa, tập hợp cho thiếu nhi.", "", "Trò chơi trí tuệ",
     "Nhà xuất bản Giáo dục", "sách/giáo trình", "vi", "trung học cơ sở", "all rights reserved",
     "https://example.org/hoc-bua", "2015"),
    ("t:dao-tao", "Đào tạo từ xa ở Đắk Lắk",
     "Kinh nghiệm đào tạo từ xa tại Trường Đại học Tây Nguyên.", "Trần Thị Bình",
     "Giáo dục thường xuyên", "Trường Đại học Tây Nguyên", "bài báo", "vi", "đại học",
     "CC BY-SA 4.0", "https://example.org/dao-tao", "2020"),
    ("t:cds", "Chuyển đổi số cho người dân",
     "Hướng dẫn chuyển đổi số: dịch vụ công trực tuyến, thanh toán điện tử.", "",
     "Chuyển đổi số;Kỹ năng số", "Bộ Thông tin và Truyền thông", "khóa học trực tuyến", "vi",
     "phổ cập", "CC BY 4.0", "https://example.org/cds", "2023"),
    ("t:cds-dn", "Doanh nghiệp và chuyển đổi số",
     "Chuyển đổi số trong doanh nghiệp nhỏ và vừa.", "", "Chuyển đổi số;Kinh tế",
     "Bộ Thông tin và Truyền thông", "video/bài giảng truyền hình", "vi", "đại học",
     "CC BY 4.0", "https://example.org/cds-dn", "2021"),
    ("t:physics", "Physics for Everyone", "<p>Sách vật lý bằng <em>tiếng Anh</em>.</p>",
     "Jane Doe", "Vật lý", "OpenStax", "sách/giáo trình", "en", "đại học", "CC BY 4.0",
     "https://example.org/physics", "2019"),
    ("t:tap-xa", "Tập thể dục buổi sáng",
     "Mẹo a<b & c khi học cách thở đúng cho người cao tuổi.", "",
     "Y tế - sức khỏe", "Đài Phát thanh và Truyền hình tỉnh", "âm thanh", "vi", "phổ cập",
     "unknown", "https://example.org/tap-the-duc", "2018"),
    ("t:doi-moi", "Đổi mới phương pháp dạy học",
     "Đổi mới, sáng tạo trong giờ học.", "", "Giáo dục thường xuyên",
     "Bộ Giáo dục và Đào tạo", "tài liệu tham khảo", "vi", "đại học", "CC BY 4.0",
     "https://example.org/doi-moi", "2017"),
]  # fmt: skip

COLUMNS = ["identifier", "title", "description", "creators", "subjects", "publisher", "type",
           "language", "level", "license", "url", "year"]  # fmt: skip


def rows_as_dicts(rows=ROWS):
    return [(n, dict(zip(COLUMNS, row, strict=True))) for n, row in enumerate(rows, start=2)]


@pytest.fixture
def catalog(app, db):
    report = import_rows(rows_as_dicts(), source="test")
    assert report.errors == []
    db.session.commit()
    return report
