"""Settings: the README table, the settings table and the code agree; environment, config
file, bad values and masking, through the `hoctap` command and the app."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import render_template_string

from hoctap_learn import config as config_module
from hoctap_learn.cli import main
from hoctap_learn.harvest.fetch import RetryPolicy

from .conftest import REPO, another_app

NAME_RE = re.compile(r"\b(?:HOCTAP_[A-Z0-9_]*[A-Z0-9])")


def readme_settings() -> dict[str, str]:
    """`name -> default cell` of the README's configuration table."""
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|([^|]*)\|", line)
        if match:
            rows[match.group(1)] = match.group(3).strip()
    return rows


def names_read_by_code() -> set[str]:
    names = set()
    for path in (REPO / "hoctap_learn").rglob("*"):
        if path.suffix in (".py", ".html", ".txt") and path.is_file():
            names.update(NAME_RE.findall(path.read_text(encoding="utf-8")))
    return names


def test_readme_table_settings_table_and_code_agree_both_ways():
    table = {s.name for s in config_module.SETTINGS}
    readme = readme_settings()
    expected_readme = table | {config_module.CONFIG_FILE_VARIABLE}
    assert set(readme) - expected_readme == set(), "in the README table but never read"
    assert expected_readme - set(readme) == set(), "read but missing from the README table"
    assert all(readme.values()), "every README row says what the setting means"
    code = names_read_by_code()
    hoctap_table = {name for name in expected_readme if name.startswith("HOCTAP_")}
    assert code - hoctap_table == set(), "the code reads HOCTAP_ names that are not settings"
    assert hoctap_table - code == set(), "settings no code reads"


def run_cli(args, env=None, tmp_path: Path | None = None):
    # None unsets: the settings of the shell running the tests do not leak in.
    environment = {name: None for name in config_module.BY_NAME}
    environment[config_module.CONFIG_FILE_VARIABLE] = None
    if tmp_path is not None:
        environment.update(
            DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
            SECRET_KEY="s3cret-key-value",
            HOCTAP_INDEX_DIR=str(tmp_path / "idx"),
        )
    environment.update(env or {})
    return CliRunner().invoke(main, args, env=environment, catch_exceptions=False)


def shown(result) -> dict:
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return {row["name"]: row for row in data["settings"]}


def test_environment_and_config_file_feed_every_setting(tmp_path):
    toml = tmp_path / "hoctap.toml"
    toml.write_text(
        'HOCTAP_OAI_ADMIN_EMAIL = "cntt@so.example.vn"\n'
        "HOCTAP_HARVEST_TIMEOUT = 7\n"
        'HOCTAP_HARVEST_RETRIES = "4"\n'
        'HOCTAP_LOGIN_LIMIT = "5 per minute"\n'
        "HOCTAP_ENTRY_MAX_MB = { image = 2, audio = 3, video = 4 }\n"
        'HOCTAP_CERT_FONT_DIR = "/srv/fonts"\n'
        'HOCTAP_TIMEZONE = "Asia/Tokyo"\n'
    )
    env = {
        "HOCTAP_CONFIG": str(toml),
        "HOCTAP_LOGIN_LIMIT": "3 per minute",  # the environment wins over the file
        "HOCTAP_HARVEST_MAX_WAIT": "9.5",
        "HOCTAP_SECURE_COOKIES": "1",
    }
    rows = shown(run_cli(["config", "show", "--json"], env, tmp_path))
    assert rows["HOCTAP_OAI_ADMIN_EMAIL"]["value"] == "cntt@so.example.vn"
    assert rows["HOCTAP_OAI_ADMIN_EMAIL"]["source"] == "file"
    assert rows["HOCTAP_LOGIN_LIMIT"]["value"] == "3 per minute"
    assert rows["HOCTAP_LOGIN_LIMIT"]["source"] == "env"
    assert rows["HOCTAP_HARVEST_TIMEOUT"]["value"] == 7
    assert rows["HOCTAP_HARVEST_RETRIES"]["value"] == 4
    assert rows["HOCTAP_HARVEST_MAX_WAIT"]["value"] == 9.5
    assert rows["HOCTAP_ENTRY_MAX_MB"]["value"] == {"image": 2, "audio": 3, "video": 4}
    assert rows["HOCTAP_CERT_FONT_DIR"]["value"] == "/srv/fonts"
    assert rows["HOCTAP_SECURE_COOKIES"]["value"] is True
    assert (rows["HOCTAP_PER_PAGE"]["value"], rows["HOCTAP_PER_PAGE"]["source"]) == (20, "default")
    text = run_cli(["config", "show"], env, tmp_path)
    assert text.exit_code == 0 and str(toml) in text.output
    assert re.search(r"HOCTAP_LOGIN_LIMIT\s+3 per minute\s+\[env\]", text.output)


def test_settings_that_were_never_read_now_reach_the_features(tmp_path, monkeypatch, app):
    for name in config_module.BY_NAME:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOCTAP_OAI_ADMIN_EMAIL", "cntt@so.example.vn")
    monkeypatch.setenv("HOCTAP_HARVEST_TIMEOUT", "7")
    monkeypatch.setenv("HOCTAP_HARVEST_RETRIES", "1")
    monkeypatch.setenv("HOCTAP_HARVEST_MAX_WAIT", "8")
    monkeypatch.setenv("HOCTAP_HARVEST_DEFAULT_WAIT", "0.5")
    monkeypatch.setenv("HOCTAP_CERT_FONT_DIR", str(tmp_path))
    monkeypatch.setenv("HOCTAP_TIMEZONE", "Asia/Tokyo")
    config = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": tmp_path / "instance",
        "HOCTAP_INDEX_DIR": str(tmp_path / "index"),
    }
    with another_app(config) as other:
        check_features(other, app, tmp_path)


def check_features(other, app, tmp_path):
    response = other.test_client().get("/oai?verb=Identify")
    assert "<adminEmail>cntt@so.example.vn</adminEmail>" in response.get_data(as_text=True)
    policy = RetryPolicy.from_config(other.config)
    assert (policy.timeout, policy.retries, policy.max_wait, policy.default_wait) == (7, 1, 8, 0.5)
    assert other.config["HOCTAP_CERT_FONT_DIR"] == str(tmp_path)
    at = datetime(2022, 10, 19, 1, 0, tzinfo=UTC)
    template = "{{ at|datetime_vn }} / {{ at|date_vn }}"
    with other.test_request_context():
        assert render_template_string(template, at=at) == "10:00 ngày 19/10/2022 / 19/10/2022"
    # the app of the fixture (default zone) is not changed by the other one
    with app.test_request_context():
        assert render_template_string(template, at=at) == "08:00 ngày 19/10/2022 / 19/10/2022"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HOCTAP_PER_PAGE": "hai mươi"}, "HOCTAP_PER_PAGE (biến môi trường): cần một số nguyên"),
        ({"HOCTAP_TIMEZONE": "Asia/Saigon_X"}, "múi giờ không tồn tại: Asia/Saigon_X"),
        ({"HOCTAP_LOG_FORMAT": "xml"}, "HOCTAP_LOG_FORMAT"),
        ({"HOCTAP_HARVEST_TIMEOUT": "-1"}, "cần một số không âm"),
        ({"DATABASE_URL": "mysql://x@127.0.0.1/db"}, "chỉ hỗ trợ sqlite"),
        ({"HOCTAP_REDIS_URL": "127.0.0.1:6379"}, "redis://"),
        ({"HOCTAP_CONFIG": "/khong/co/hoctap.toml"}, "không tìm thấy tệp"),
    ],
)
def test_bad_values_stop_with_a_message_naming_the_setting(tmp_path, env, message):
    result = CliRunner().invoke(
        main,
        ["config", "show"],
        env={**{n: None for n in config_module.BY_NAME}, "HOCTAP_CONFIG": None, **env},
    )
    assert result.exit_code == 2
    assert "Lỗi cấu hình" in result.output and message in result.output
    assert "Traceback" not in result.output


def test_config_file_with_unknown_key_or_bad_toml_is_refused(tmp_path):
    toml = tmp_path / "hoctap.toml"
    toml.write_text('HOCTAP_LOGIN_LIMT = "1 per minute"\n')
    result = run_cli(["config", "show"], {"HOCTAP_CONFIG": str(toml)})
    assert result.exit_code == 2 and "HOCTAP_LOGIN_LIMT" in result.output
    toml.write_text("HOCTAP_PER_PAGE = = 3\n")
    result = run_cli(["config", "show"], {"HOCTAP_CONFIG": str(toml)})
    assert result.exit_code == 2 and "không đọc được" in result.output
    toml.write_text("HOCTAP_PER_PAGE = true\n")
    result = run_cli(["config", "show"], {"HOCTAP_CONFIG": str(toml)})
    assert result.exit_code == 2 and "HOCTAP_PER_PAGE (tệp HOCTAP_CONFIG)" in result.output


def test_config_show_masks_secrets(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "SECRET_KEY": "s3cret-key-value",
        "HOCTAP_REDIS_URL": "redis://:redis-pass-123@127.0.0.1:6390/0",
        "HOCTAP_RATELIMIT_STORAGE_URI": "redis://user:limit-pass-456@127.0.0.1:6391",
    }
    for args in (["config", "show"], ["config", "show", "--json"]):
        result = run_cli(args, env)
        assert result.exit_code == 0, result.output
        for secret in ("s3cret-key-value", "redis-pass-123", "limit-pass-456"):
            assert secret not in result.output
    rows = shown(run_cli(["config", "show", "--json"], env))
    assert rows["SECRET_KEY"]["value"] == "********"
    assert rows["HOCTAP_REDIS_URL"]["value"] == "redis://:********@127.0.0.1:6390/0"
    assert rows["HOCTAP_RATELIMIT_STORAGE_URI"]["value"] == "redis://user:********@127.0.0.1:6391"
    pg = {"DATABASE_URL": "postgresql://hoctap:pg-pass-789@127.0.0.1:1/hoctap"}
    rows = shown(run_cli(["config", "show", "--json"], pg, tmp_path))
    assert rows["DATABASE_URL"]["value"] == "postgresql+psycopg://hoctap:********@127.0.0.1:1/hoctap"


def test_redis_url_feeds_the_limiter_unless_the_storage_is_set(tmp_path):
    url = "redis://127.0.0.1:6399/0"
    rows = shown(run_cli(["config", "show", "--json"], {"HOCTAP_REDIS_URL": url}, tmp_path))
    assert rows["HOCTAP_RATELIMIT_STORAGE_URI"]["value"] == url
    env = {"HOCTAP_REDIS_URL": url, "HOCTAP_RATELIMIT_STORAGE_URI": "memory://"}
    rows = shown(run_cli(["config", "show", "--json"], env, tmp_path))
    assert rows["HOCTAP_RATELIMIT_STORAGE_URI"]["value"] == "memory://"
    rows = shown(run_cli(["config", "show", "--json"], {}, tmp_path))
    assert rows["HOCTAP_RATELIMIT_STORAGE_URI"]["value"] == "memory://"
