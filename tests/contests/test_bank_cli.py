"""`hoctap contest list/import-questions/export-questions` and content loading."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from hoctap_learn.contests.models import Contest, Question, QuestionCategory, Round

BAD_GIFT = """$CATEGORY: nhom-moi

::N1:: Câu đúng {T}

// lỗi ở câu sau
::N2::
Câu sai {=a =b ~c}

::N3:: Số {#12:1}

::N4:: Thiếu đóng {=a ~b
"""


def run_json(runner, *args):
    result = runner.invoke(args=[*args, "--json"])
    return result, json.loads(result.stdout) if result.output.strip() else None


def test_content_loads_sample_contest_idempotently(app, db, content, runner):
    assert content.counts["contests"].created == 1
    assert content.counts["questions"].created == 81
    assert content.counts["contest_rounds"].created == 3
    contest = db.session.scalar(select(Contest).where(Contest.slug == "cong-dan-so"))
    assert contest.unit.code == "brvt-sogddt" and contest.campaign.slug == "2022"
    practice = next(r for r in contest.rounds if r.is_practice)
    assert practice.title == "Vòng thi thử" and practice.opens_at is None
    assert practice.closes_at is None and practice.attempts_allowed is None
    first = next(r for r in contest.rounds if r.slug == "vong-1")
    assert first.opens_at.isoformat() == "2022-10-19T01:00:00+00:00"  # 08:00 in Vietnam
    result = runner.invoke(args=["content", "load", "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["counts"]
    assert counts["questions"] == {"created": 0, "updated": 0, "unchanged": 81}
    assert counts["contests"]["unchanged"] == 1
    assert counts["contest_rounds"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert db.session.scalar(select(func.count()).select_from(Question)) == 81


def test_contest_list_json(content, runner):
    result, data = run_json(runner, "contest", "list")
    assert result.exit_code == 0
    (contest,) = data["contests"]
    assert contest["slug"] == "cong-dan-so"
    assert [r["slug"] for r in contest["rounds"]] == ["thi-thu", "vong-1", "vong-2"]


def test_import_with_errors_imports_nothing(db, content, runner, tmp_path):
    path = tmp_path / "bad.gift"
    path.write_text(BAD_GIFT, encoding="utf-8")
    result, data = run_json(
        runner, "contest", "import-questions", str(path), "--contest", "cong-dan-so"
    )
    assert result.exit_code == 1
    assert data["imported"] == 0
    assert [e["line"] for e in data["errors"]] == [6, 11]
    assert set(data["by_type"]) >= {
        "single_choice", "multiple_choice", "true_false", "short_answer", "numerical"
    }  # fmt: skip
    assert db.session.scalar(select(func.count()).select_from(Question)) == 81


def test_import_skip_invalid_and_dry_run(db, content, runner, tmp_path):
    path = tmp_path / "bad.gift"
    path.write_text(BAD_GIFT, encoding="utf-8")
    args = ["contest", "import-questions", str(path), "--contest", "cong-dan-so"]
    result, data = run_json(runner, *args, "--skip-invalid", "--dry-run")
    assert result.exit_code == 1
    assert data["imported"] == 2 and data["by_type"]["true_false"] == 1
    assert data["by_type"]["numerical"] == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Question)) == 81
    result, data = run_json(runner, *args, "--skip-invalid")
    assert result.exit_code == 1 and data["imported"] == 2
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Question)) == 83
    category = db.session.scalar(
        select(QuestionCategory).where(QuestionCategory.name == "nhom-moi")
    )
    assert category is not None


def test_import_aiken_into_category(db, content, runner):
    path = app_content_path(runner) / "contests" / "cong-dan-so" / "sample-aiken.txt"
    args = ["contest", "import-questions", str(path), "--contest", "cong-dan-so"]
    result, data = run_json(runner, *args, "--category", "aiken-mau")
    assert result.exit_code == 0, result.output
    assert data == {
        "imported": 8,
        "by_type": {"single_choice": 8, "multiple_choice": 0, "true_false": 0,
                    "short_answer": 0, "numerical": 0},
        "errors": [], "updated_in_use": 0, "attempts_in_progress_kept": 0,
    }  # fmt: skip
    # Importing again changes nothing: questions are matched by their natural key.
    result, data = run_json(runner, *args, "--category", "aiken-mau")
    assert data["imported"] == 8
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Question)) == 89
    result = runner.invoke(args=[*args, "--category", "aiken-mau"])
    assert "mới: 0, cập nhật: 0, không đổi: 8" in result.output
    # Without the category the same questions move out of it: an update, not a duplicate.
    result = runner.invoke(args=args)
    assert "mới: 0, cập nhật: 8, không đổi: 0" in result.output


def test_import_unknown_contest_and_bad_encoding(content, runner, tmp_path):
    path = tmp_path / "q.gift"
    path.write_text("Câu {T}", encoding="utf-8")
    result, data = run_json(runner, "contest", "import-questions", str(path), "--contest", "x")
    assert result.exit_code == 1 and "Không tìm thấy cuộc thi" in data["errors"][0]["message"]
    path.write_bytes("Câu hỏi {T}".encode("cp1258", errors="replace") + b"\xff\xfe")
    result, data = run_json(
        runner, "contest", "import-questions", str(path), "--contest", "cong-dan-so"
    )
    assert result.exit_code == 1 and "UTF-8" in data["errors"][0]["message"]


def test_export_questions(content, runner, tmp_path):
    out = tmp_path / "out.gift"
    result = runner.invoke(
        args=["contest", "export-questions", "--contest", "cong-dan-so", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    from hoctap_learn.contests.gift import parse_gift

    parsed = parse_gift(out.read_text(encoding="utf-8"))
    assert parsed.errors == [] and len(parsed.questions) == 81


def test_round_times_must_be_ordered(db, content):
    import pytest
    from sqlalchemy.exc import IntegrityError

    round_ = db.session.scalar(select(Round).where(Round.slug == "vong-1"))
    round_.closes_at = round_.opens_at
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def app_content_path(runner):
    from pathlib import Path

    return Path(runner.app.config["HOCTAP_CONTENT_DIR"])
