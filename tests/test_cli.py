"""The `hoctap` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hoctap_learn.accounts import services
from hoctap_learn.units.models import Unit


def test_content_load_is_idempotent(runner, db):
    first = runner.invoke(args=["content", "load", "--json"])
    assert first.exit_code == 0, first.output
    counts = json.loads(first.stdout)["counts"]
    assert counts["units"]["created"] == 17 and counts["campaigns"]["created"] == 1
    second = json.loads(runner.invoke(args=["content", "load", "--json"]).stdout)["counts"]
    for kind, c in second.items():
        assert c["created"] == 0 and c["updated"] == 0, kind


def test_content_load_no_demo_skips_demo_accounts(runner, db):
    result = runner.invoke(args=["content", "load", "--no-demo", "--json"])
    assert result.exit_code == 0
    assert "demo_users" not in json.loads(result.stdout)["counts"]
    assert services.get_user_by_email("admin@demo.hoctap.vn") is None


def test_content_load_bad_file_changes_nothing(runner, db, tmp_path):
    (tmp_path / "units.yaml").write_text(
        "code: p\nname: P\nkind: province\nchildren:\n  - code: a\n    name: A\n"
        "  - code: a\n    name: Trùng mã\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["content", "load", "--content-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "xuất hiện hai lần" in result.output
    assert db.session.query(Unit).count() == 0

    (tmp_path / "units.yaml").write_text("code: [unclosed\n", encoding="utf-8")
    result = runner.invoke(args=["content", "load", "--content-dir", str(tmp_path)])
    assert result.exit_code == 1 and "không phải YAML hợp lệ" in result.output


def test_content_load_updates_renamed_unit(runner, db, tmp_path):
    (tmp_path / "units.yaml").write_text(
        "code: p\nname: Tỉnh P\nkind: province\n", encoding="utf-8"
    )
    runner.invoke(args=["content", "load", "--content-dir", str(tmp_path)])
    (tmp_path / "units.yaml").write_text(
        "code: p\nname: Tỉnh P mới\nkind: province\n", encoding="utf-8"
    )
    out = runner.invoke(args=["content", "load", "--content-dir", str(tmp_path), "--json"])
    assert json.loads(out.stdout)["counts"]["units"] == {"created": 0, "updated": 1, "unchanged": 0}


def test_user_create(runner, db, content):
    result = runner.invoke(
        args=[
            "user", "create", "--email", "BTC.DatDo@example.vn", "--name", "BTC Đất Đỏ",
            "--role", "organizer", "--unit", "brvt-datdo", "--password", "Dat-do-2022", "--json",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["email"] == "btc.datdo@example.vn" and data["unit"] == "brvt-datdo"
    assert services.authenticate("btc.datdo@example.vn", "Dat-do-2022") is not None


def test_user_create_prompts_for_password(runner, db):
    result = runner.invoke(
        args=["user", "create", "--email", "a@example.vn", "--name", "A"],
        input="Mat-khau-2022\nMat-khau-2022\n",
    )
    assert result.exit_code == 0, result.output
    assert services.authenticate("a@example.vn", "Mat-khau-2022") is not None


def test_user_create_bad_input_exits_1(runner, db, content):
    cases = [
        (["--role", "organizer"], "cần --unit"),
        (["--unit", "khong-co"], "Không tìm thấy đơn vị"),
        (["--password", "123"], "ít nhất 8 ký tự"),
    ]
    for extra, message in cases:
        args = ["user", "create", "--email", "x@example.vn", "--name", "X"]
        if "--password" not in extra:
            extra = [*extra, "--password", "Hop-le-2022"]
        result = runner.invoke(args=args + extra)
        assert result.exit_code == 1 and message in result.output, (extra, result.output)
    runner.invoke(args=["user", "create", "--email", "x@example.vn", "--name", "X",
                        "--password", "Hop-le-2022"])  # fmt: skip
    dup = runner.invoke(args=["user", "create", "--email", "X@example.vn", "--name", "X",
                              "--password", "Hop-le-2022"])  # fmt: skip
    assert dup.exit_code == 1 and "đã được đăng ký" in dup.output


def test_listing_commands_print_json(runner, content):
    units = json.loads(runner.invoke(args=["unit", "list", "--json"]).stdout)
    assert units[0]["code"] == "brvt" and units[0]["depth"] == 0
    under = json.loads(
        runner.invoke(args=["unit", "list", "--under", "brvt-phumy", "--json"]).output
    )
    assert [u["code"] for u in under] == ["brvt-phumy", "brvt-phumy-thcs-vovankiet"]
    campaigns = json.loads(runner.invoke(args=["campaign", "list", "--json"]).stdout)
    assert campaigns[0]["slug"] == "2022" and campaigns[0]["is_current"] is True
    users = json.loads(runner.invoke(args=["user", "list", "--role", "admin", "--json"]).stdout)
    assert [u["email"] for u in users] == ["admin@demo.hoctap.vn"]


def test_console_script_works_from_any_directory(tmp_path):
    """`hoctap db upgrade` finds migrations from the package, not the working directory."""
    hoctap = Path(sys.executable).parent / "hoctap"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SECRET_KEY": "x",
        "HOCTAP_INDEX_DIR": str(tmp_path / "index"),
    }
    for args in (["db", "upgrade"], ["content", "load", "--no-demo"]):
        done = subprocess.run(
            [str(hoctap), *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [str(hoctap), "campaign", "list", "--json"], cwd=tmp_path, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert json.loads(done.stdout)[0]["theme"].startswith("Thúc đẩy chuyển đổi số")
