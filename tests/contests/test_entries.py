"""Creative entries: uploads checked by content and size, storage, access, judging, gallery."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hoctap_learn.contests import entries
from hoctap_learn.contests.models import Contest, Entry
from hoctap_learn.core.errors import Conflict, PermissionDenied, ValidationError
from hoctap_learn.core.types import utcnow
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_unit, make_user

from .helpers import make_contest, participant

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
MP3 = b"ID3\x03\x00" + b"\x00" * 100
MP4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 100
M4A = b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 100
HTML = b"<html><script>alert(1)</script></html>"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PNG, ("image", "image/png", "png")),
        (b"\xff\xd8\xff\xe0JFIF", ("image", "image/jpeg", "jpg")),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", ("image", "image/webp", "webp")),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", ("audio", "audio/wav", "wav")),
        (MP3, ("audio", "audio/mpeg", "mp3")),
        (b"OggS\x00", ("audio", "audio/ogg", "ogg")),
        (M4A, ("audio", "audio/mp4", "m4a")),
        (MP4, ("video", "video/mp4", "mp4")),
        (b"\x1a\x45\xdf\xa3\x01", ("video", "video/webm", "webm")),
        (HTML, None),
        (b"%PDF-1.7", None),
        (b"", None),
    ],
)
def test_detect_media_by_magic_bytes(head, expected):
    assert entries.detect_media(head[:32]) == expected


def creative_contest(db, kind="creative"):
    contest, _ = make_contest()
    contest.kind = kind
    db.session.commit()
    return contest


def submit(db, user, contest, **kw):
    data = entries.EntryInput(**{"title": "Bài của tôi", "kind": "image", **kw})
    entry = entries.submit_entry(user, contest, data, utcnow())
    db.session.commit()
    return entry


def upload_files(app) -> list[Path]:
    folder = Path(app.config["HOCTAP_UPLOAD_DIR"]) / "entries"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_image_upload_stored_outside_web_root_with_random_name(app, db):
    contest = creative_contest(db)
    entry = submit(db, participant(), contest, data=PNG, filename="../../etc/anh đẹp.png")
    (path,) = upload_files(app)
    assert path.name == entry.stored_name and path.name != "anh đẹp.png"
    assert len(path.stem) == 32 and path.suffix == ".png"
    assert entry.original_name == "anh đẹp.png" and entry.mime_type == "image/png"
    static = Path(app.static_folder).resolve()
    assert static not in path.resolve().parents
    assert oct(os.stat(path).st_mode)[-3:] == "640"


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("image", HTML, "Nội dung tệp"),  # HTML named .png is refused by content
        ("audio", PNG, "Nội dung tệp"),  # an image is not an audio entry
        ("video", MP3, "Nội dung tệp"),
        ("image", None, "chọn tệp"),
    ],
)
def test_upload_refused_by_content(app, db, kind, data, message):
    contest = creative_contest(db)
    with pytest.raises(ValidationError, match=message):
        submit(db, participant(), contest, kind=kind, data=data, filename="x.png")
    db.session.rollback()
    assert upload_files(app) == []
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_upload_size_limit(app, db):
    app.config["HOCTAP_ENTRY_MAX_MB"] = {"image": 0.001}
    contest = creative_contest(db)
    with pytest.raises(ValidationError, match="quá lớn"):
        submit(db, participant(), contest, data=PNG + b"\x00" * 2000, filename="big.png")
    db.session.rollback()
    assert upload_files(app) == []


def test_pending_entry_replaced_and_its_old_file_removed_on_commit(app, db):
    contest = creative_contest(db)
    user = participant()
    first = submit(db, user, contest, data=PNG, filename="anh.png")
    (old_file,) = upload_files(app)
    second = submit(db, user, contest, kind="audio", data=MP3, filename="doc-tho.mp3")
    assert second.id == first.id and second.kind == "audio"
    (new_file,) = upload_files(app)
    assert new_file != old_file and new_file.name == second.stored_name
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 1


def test_replacement_rolled_back_keeps_the_old_file_and_row(app, db):
    contest = creative_contest(db)
    user = participant()
    first = submit(db, user, contest, data=PNG, filename="anh.png")
    kept = (first.stored_name, first.title)
    data = entries.EntryInput(title="Bài mới", kind="video", data=MP4, filename="v.mp4")
    entries.submit_entry(user, contest, data, utcnow())
    assert len(upload_files(app)) == 2  # the new file is written before the row changes
    db.session.rollback()  # e.g. the request failed after the service returned
    (left,) = upload_files(app)
    entry = db.session.get(Entry, first.id)
    assert (entry.stored_name, entry.title) == kept and left.name == kept[0]
    # A refused replacement (bad content) changes nothing either.
    with pytest.raises(ValidationError, match="Nội dung tệp"):
        submit(db, user, contest, kind="video", data=HTML, filename="v.mp4")
    db.session.rollback()
    assert [p.name for p in upload_files(app)] == [kept[0]]


def test_text_link_and_rules(db):
    contest = creative_contest(db, kind="both")
    submit(db, participant(), contest, kind="text", body="Bài thơ về công dân số.")
    with pytest.raises(ValidationError, match="https"):
        submit(db, participant(), contest, kind="link", video_url="javascript:alert(1)")
    db.session.rollback()
    user = participant()
    submit(db, user, contest, kind="link", video_url="https://www.youtube.com/watch?v=abc")
    replaced = submit(db, user, contest, kind="text", body="Bài thứ hai")  # still pending
    assert (replaced.kind, replaced.video_url, replaced.body) == ("text", None, "Bài thứ hai")
    entries.review(make_user(role="admin"), replaced, "approved", utcnow())
    db.session.commit()
    with pytest.raises(Conflict, match="không thể thay"):
        submit(db, user, contest, kind="text", body="Bài thứ ba")
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        submit(db, make_user(), contest, kind="text", body="x")
    db.session.rollback()
    quiz_only, _ = make_contest(unit=make_unit())
    with pytest.raises(ValidationError, match="không nhận"):
        submit(db, participant(), quiz_only, kind="text", body="x")


def test_rubric_and_several_judges(db):
    contest = creative_contest(db)
    org = make_user(role="organizer", unit=contest.unit)
    other_org = make_user(role="organizer", unit=contest.unit)
    outsider = make_user(role="organizer", unit=make_unit())
    criteria = entries.set_rubric(org, contest, "Nội dung | 40\nSáng tạo | 30\n\nKỹ thuật|30")
    assert [(c.name, c.max_points) for c in criteria] == [
        ("Nội dung", 40), ("Sáng tạo", 30), ("Kỹ thuật", 30)
    ]  # fmt: skip
    db.session.commit()
    with pytest.raises(ValidationError, match="Dòng 1"):
        entries.set_rubric(org, contest, "Nội dung | nhiều")
    db.session.rollback()
    a = submit(db, participant(), contest, data=PNG, filename="a.png")
    b = submit(db, participant(), contest, data=MP3, kind="audio", filename="b.mp3")
    ids = [c.id for c in entries.criteria_of(contest)]
    now = utcnow()
    entries.score_entry(org, a, dict(zip(ids, [30, 20, 20], strict=True)), now)
    entries.score_entry(other_org, a, dict(zip(ids, [40, 30, 30], strict=True)), now)
    entries.score_entry(org, b, dict(zip(ids, [10, 10, 10], strict=True)), now)
    entries.score_entry(org, b, dict(zip(ids, [35, 30, 30], strict=True)), now)  # rescoring
    db.session.commit()
    results = entries.entry_results(contest)
    assert [(r.entry.id, r.score, r.judges) for r in results] == [(b.id, 95, 1), (a.id, 85, 2)]
    with pytest.raises(ValidationError, match="từ 0 đến 40"):
        entries.score_entry(org, a, dict(zip(ids, [41, 0, 0], strict=True)), now)
    with pytest.raises(ValidationError, match="đủ mọi tiêu chí"):
        entries.score_entry(org, a, {ids[0]: 1}, now)
    with pytest.raises(PermissionDenied):
        entries.score_entry(outsider, a, dict(zip(ids, [1, 1, 1], strict=True)), now)
    with pytest.raises(Conflict, match="Đã có điểm"):
        entries.set_rubric(org, contest, "Mới | 10")


def test_media_access_and_gallery(client, db, app):
    contest = creative_contest(db)
    owner = participant()
    entry = submit(db, owner, contest, data=PNG, filename="a.png")
    url = f"/contests/entries/{entry.id}/media"
    assert client.get(url).status_code == 404  # pending: not public
    assert client.get(f"/contests/{contest.slug}/gallery").get_data(as_text=True).count(url) == 0
    login(client, owner.email, PASSWORD)
    with client.get(url) as response:
        assert response.status_code == 200 and response.data == PNG
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    org = make_user(role="organizer", unit=contest.unit)
    entries.review(org, entry, "approved", utcnow())
    db.session.commit()
    anonymous = app.test_client()
    with anonymous.get(url) as response:
        assert response.status_code == 200
    assert url in anonymous.get(f"/contests/{contest.slug}/gallery").get_data(as_text=True)


def test_entry_page_upload(client, db, app):
    contest = creative_contest(db)
    user = participant()
    login(client, user.email, PASSWORD)
    page = f"/contests/{contest.slug}/entry"
    token = csrf_from(client, page)

    def post(title, kind, data, name):
        return client.post(
            page, content_type="multipart/form-data",
            data={"csrf_token": token, "title": title, "kind": kind,
                  "file": (io.BytesIO(data), name)},
        )  # fmt: skip

    response = post("Ảnh", "image", HTML, "anh.png")
    assert response.status_code == 422 and "Nội dung tệp" in response.get_data(as_text=True)
    assert post("Ảnh", "image", PNG, "anh.png").status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Chờ duyệt" in html and "Thay bài dự thi" in html
    assert len(upload_files(app)) == 1
    assert post("Bài đọc thơ", "audio", MP3, "tho.mp3").status_code == 302
    assert "Đã thay bài dự thi" in client.get(page).get_data(as_text=True)
    (only,) = upload_files(app)
    assert only.suffix == ".mp3"


def test_organizer_entry_pages(client, db):
    contest = creative_contest(db)
    entry = submit(db, participant(), contest, kind="text", body="Nội dung")
    org = make_user(role="organizer", unit=contest.unit)
    login(client, org.email, PASSWORD)
    base = f"/organizer/contests/{contest.slug}/entries"
    token = csrf_from(client, base)
    assert (
        client.post(base, data={"csrf_token": token, "rubric": "Nội dung | 10"}).status_code == 302
    )
    detail = f"{base}/{entry.id}"
    criterion = entries.criteria_of(db.session.get(Contest, contest.id))[0]
    response = client.post(detail, data={"csrf_token": token, "action": "score",
                                         f"c-{criterion.id}": "abc"})  # fmt: skip
    assert response.status_code == 422 and "phải là số" in response.get_data(as_text=True)
    client.post(detail, data={"csrf_token": token, "action": "score", f"c-{criterion.id}": "8,5"})
    client.post(detail, data={"csrf_token": token, "action": "approved"})
    db.session.expire_all()
    (result,) = entries.entry_results(db.session.get(Contest, contest.id))
    assert (result.score, result.entry.status) == (8.5, "approved")
