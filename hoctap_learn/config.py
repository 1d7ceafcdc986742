"""Configuration: one table of settings, read from the environment or a TOML file.

Every setting a deployment may change is a row of `SETTINGS` (name, default, parser, secret,
meaning). The environment reading, the optional config file named by `HOCTAP_CONFIG`,
`hoctap config show` and the README table test all derive from that table, so a feature that
needs a new setting adds one row here and reads `current_app.config[key]`.

Precedence: `create_app(config)` overrides (tests) > environment variable > `HOCTAP_CONFIG`
file > default. Everything that is not a deployment choice is a constant in `DEFAULTS`.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .core import jsonfast

#: The repository root when running from a checkout (editable install).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The environment variable naming the optional TOML config file.
CONFIG_FILE_VARIABLE = "HOCTAP_CONFIG"


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


# --- parsers: str (environment) or a TOML value -> the config value --------------------------


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("cần một chuỗi")
    return value.strip()


def integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("cần một số nguyên")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError("cần một số nguyên") from None


def non_negative_integer(value: Any) -> int:
    number = integer(value)
    if number < 0:
        raise ValueError("cần một số nguyên không âm")
    return number


def positive_integer(value: Any) -> int:
    number = integer(value)
    if number < 1:
        raise ValueError("cần một số nguyên dương")
    return number


def non_negative_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("cần một số")
    try:
        number = float(value if isinstance(value, int | float) else str(value).strip())
    except ValueError:
        raise ValueError("cần một số") from None
    if number < 0 or number != number:
        raise ValueError("cần một số không âm")
    return number


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("cần 1 hoặc 0 (true/false)")


def int_mapping(value: Any) -> dict[str, int]:
    """`image=10,audio=30` (environment) or a TOML table of integers."""
    if isinstance(value, Mapping):
        items = value.items()
    else:
        items = []
        for part in str(value).split(","):
            if not part.strip():
                continue
            key, sep, number = part.partition("=")
            if not sep:
                raise ValueError("cần dạng khoa=so,khoa=so")
            items.append((key.strip(), number))
    return {key: integer(number) for key, number in items}


def database_url(value: Any) -> str:
    url = text(value)
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if not url.startswith(("sqlite:", "postgresql+")):
        raise ValueError("chỉ hỗ trợ sqlite:///… hoặc postgresql://…")
    return url


def redis_url(value: Any) -> str:
    url = text(value)
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("cần dạng redis://máy:cổng/số")
    return url


def timezone_name(value: Any) -> str:
    name = text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"múi giờ không tồn tại: {name}") from None
    return name


def one_of(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        word = text(value).lower()
        if word not in choices:
            raise ValueError("cần một trong " + ", ".join(choices))
        return word

    return parse


# --- masking for `hoctap config show` --------------------------------------------------------

MASK = "********"


def mask_all(value: Any) -> str:
    return MASK if value else ""


def mask_url_password(value: Any) -> str:
    """postgresql://user:secret@host/db -> postgresql://user:********@host/db."""
    if not value:
        return value
    parts = urlsplit(str(value))
    if parts.password is None:
        return value
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}"))


# --- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    #: Environment variable and key in the `HOCTAP_CONFIG` file.
    name: str
    #: The default: a value, or a function of the instance folder and the values resolved so
    #: far (settings are resolved in table order).
    default: Any
    parse: Callable[[Any], Any]
    meaning: str
    #: The `app.config` key when it differs from `name` (Flask's and extensions' own keys).
    key: str | None = None
    #: How `config show` prints the value; None prints it as it is.
    mask: Callable[[Any], Any] | None = None
    #: How the README table shows the default when it is computed.
    default_text: str | None = None

    @property
    def config_key(self) -> str:
        return self.key or self.name


def _instance(*parts: str):
    return lambda instance_path, _values: str(Path(instance_path, *parts))


def _ratelimit_storage(_instance_path, values) -> str:
    return values.get("HOCTAP_REDIS_URL") or "memory://"


SETTINGS: tuple[Setting, ...] = (
    # Core
    Setting("DATABASE_URL", lambda p, _v: f"sqlite:///{Path(p) / 'hoctap.db'}", database_url,
            "SQLAlchemy URL; `postgresql://…` is used through psycopg 3",
            key="SQLALCHEMY_DATABASE_URI", mask=mask_url_password,
            default_text="sqlite:///instance/hoctap.db"),
    Setting("SECRET_KEY", lambda p, _v: _instance_secret_key(Path(p)), text,
            "session signing key; set the same value on every web node",
            mask=mask_all, default_text="generated once into instance/secret_key"),
    Setting("HOCTAP_INDEX_DIR", _instance("search-index"), text,
            "Whoosh index folder (derived data, one per node)",
            default_text="instance/search-index"),
    Setting("HOCTAP_CONTENT_DIR", str(PROJECT_ROOT / "content"), text,
            "where `hoctap content load` reads", default_text="content/ of the checkout"),
    Setting("HOCTAP_UPLOAD_DIR", _instance("uploads"), text,
            "uploaded files, outside the web root", default_text="instance/uploads"),
    Setting("HOCTAP_TIMEZONE", "Asia/Ho_Chi_Minh", timezone_name,
            "IANA zone in which times are shown and local times typed in forms and content "
            "files are read (report days are counted in UTC+7 by the database)"),
    Setting("HOCTAP_PER_PAGE", 20, positive_integer, "rows per page on list pages"),
    Setting("PORT", 5000, positive_integer, "port of `make run` / `hoctap serve`"),
    # Shared state, security
    Setting("HOCTAP_REDIS_URL", "", redis_url,
            "Redis for the rate limits (and the job queue) shared by every process and node; "
            "empty: in-process limits", mask=mask_url_password, default_text="(none)"),
    Setting("HOCTAP_RATELIMIT_STORAGE_URI", _ratelimit_storage, text,
            "Flask-Limiter storage; overrides `HOCTAP_REDIS_URL` for the limits",
            key="RATELIMIT_STORAGE_URI", mask=mask_url_password,
            default_text="`HOCTAP_REDIS_URL`, else `memory://`"),
    Setting("HOCTAP_LOGIN_LIMIT", "10 per minute;50 per hour", text,
            "login attempts (page and `POST /api/v1/auth/token`) per client address"),
    Setting("HOCTAP_LOGIN_MAX_DELAY", 60, positive_integer,
            "longest wait, in seconds, that failed logins impose on an account or an address "
            "(see *Roles*)"),
    Setting("HOCTAP_REGISTER_LIMIT", "5 per hour", text,
            "filled-in registration forms per client address"),
    Setting("HOCTAP_TRUSTED_PROXIES", 0, non_negative_integer,
            "number of proxies of ours in front of the app; the client address (limits, login "
            "delays) comes from `X-Forwarded-For` only through them (Werkzeug's ProxyFix, also "
            "`X-Forwarded-Proto`/`-Host`); `0` ignores the header"),
    Setting("HOCTAP_SECURE_COOKIES", False, boolean,
            "`1` behind HTTPS: cookies get the Secure flag and pages send HSTS "
            "(`max-age=31536000; includeSubDomains`)", key="SESSION_COOKIE_SECURE",
            default_text="0"),
    Setting("HOCTAP_ARGON2", {"time_cost": 3, "memory_cost": 65536, "parallelism": 2},
            int_mapping, "Argon2id password hashing cost",
            default_text="time_cost=3,memory_cost=65536,parallelism=2"),
    # Email, password reset
    Setting("HOCTAP_MAIL_BACKEND", "file", one_of("file", "smtp"),
            "`file` writes each message into `HOCTAP_MAIL_DIR` (no mail server needed); `smtp` "
            "sends through `HOCTAP_MAIL_SERVER`", key="MAIL_BACKEND"),
    Setting("HOCTAP_MAIL_DIR", _instance("mail"), text,
            "where the `file` backend writes messages", key="MAIL_FILE_PATH",
            default_text="instance/mail"),
    Setting("HOCTAP_MAIL_SERVER", "localhost", text, "SMTP host", key="MAIL_SERVER"),
    Setting("HOCTAP_MAIL_PORT", 25, positive_integer, "SMTP port", key="MAIL_PORT"),
    Setting("HOCTAP_MAIL_USE_TLS", False, boolean, "`1`: STARTTLS after connecting",
            key="MAIL_USE_TLS", default_text="0"),
    Setting("HOCTAP_MAIL_USE_SSL", False, boolean, "`1`: SMTP over TLS from the start (port 465)",
            key="MAIL_USE_SSL", default_text="0"),
    Setting("HOCTAP_MAIL_USERNAME", "", text, "SMTP login; empty: no login", key="MAIL_USERNAME",
            default_text="(none)"),
    Setting("HOCTAP_MAIL_PASSWORD", "", text, "SMTP password", key="MAIL_PASSWORD",
            mask=mask_all, default_text="(none)"),
    Setting("HOCTAP_MAIL_SENDER", "Tuần lễ học tập suốt đời <no-reply@hoctap.invalid>", text,
            "From: of the messages we send", key="MAIL_DEFAULT_SENDER"),
    Setting("HOCTAP_RESET_LIMIT", "3 per hour", text,
            "password-reset requests per email address (however it is spelled)"),
    Setting("HOCTAP_RESET_ADDRESS_LIMIT", "10 per hour", text,
            "password-reset requests per client address"),
    Setting("HOCTAP_RESET_MINUTES", 60, positive_integer,
            "how long a password-reset link works, minutes"),
    # Logs, static files
    Setting("HOCTAP_LOG_FORMAT", "text", one_of("text", "json"),
            "request log lines: `text`, or `json` (one object per line) for log collectors"),
    Setting("HOCTAP_LOG_LEVEL", "warning", one_of("debug", "info", "warning", "error"),
            "level of the app's other log messages (request lines are always written)"),
    # Catalog, harvest, OAI-PMH
    Setting("HOCTAP_HARVEST_TIMEOUT", 30.0, non_negative_number,
            "seconds per harvest request", default_text="30"),
    Setting("HOCTAP_HARVEST_RETRIES", 3, integer, "retries after 503/429/timeouts"),
    Setting("HOCTAP_HARVEST_MAX_WAIT", 120.0, non_negative_number,
            "upper bound of one Retry-After wait, seconds", default_text="120"),
    Setting("HOCTAP_HARVEST_DEFAULT_WAIT", 5.0, non_negative_number,
            "wait without Retry-After, the back-off step, seconds", default_text="5"),
    Setting("HOCTAP_HARVEST_ALLOW_HOSTS", "", text,
            "internal hosts the harvest may reach, comma-separated: host names (exact, as typed "
            "in the URL), addresses, CIDR ranges, e.g. `kho.noibo.vn,10.20.0.0/16`; metadata "
            "addresses only by an exact entry; a bad entry stops the app at start",
            default_text="empty (none)"),
    Setting("HOCTAP_HARVEST_MAX_BYTES", 50 * 1024 * 1024, positive_integer,
            "the most one harvested response (OAI-PMH page, feed, file) may have, counted "
            "decoded while it streams", default_text="52428800 (50 MB)"),
    Setting("HOCTAP_OAI_REPOSITORY_NAME", "Học liệu mở — Tuần lễ hưởng ứng học tập suốt đời",
            text, "repositoryName in our OAI-PMH Identify"),
    Setting("HOCTAP_OAI_REPOSITORY_ID", "hoctap", text,
            "`oai:<id>:` prefix of our OAI-PMH identifiers"),
    Setting("HOCTAP_OAI_ADMIN_EMAIL", "admin@hoctap.invalid", text,
            "adminEmail in our OAI-PMH Identify"),
    Setting("HOCTAP_OAI_PAGE_SIZE", 100, positive_integer, "records per OAI-PMH page"),
    Setting("HOCTAP_OAI_TOKEN_MAX_AGE", 24 * 3600, positive_integer,
            "lifetime of an OAI-PMH resumption token, seconds"),
    # Contests
    Setting("HOCTAP_CONTEST_GRACE_SECONDS", 15, integer,
            "answers accepted this long after an attempt's deadline"),
    Setting("HOCTAP_API_TOKEN_DAYS", 30, positive_integer, "lifetime of an API token, days"),
    Setting("HOCTAP_ENTRY_MAX_MB", {"image": 10, "audio": 30, "video": 60}, int_mapping,
            "size limit of a creative entry's file per kind, MB",
            default_text="image=10,audio=30,video=60"),
    Setting("HOCTAP_CERT_FONT_DIR", "/usr/share/fonts/truetype/dejavu", text,
            "folder with DejaVuSans.ttf and DejaVuSans-Bold.ttf for certificates"),
    # Background jobs
    Setting("HOCTAP_JOBS_DB", _instance("jobs.db"), text,
            "the embedded job queue's SQLite file (used when `HOCTAP_REDIS_URL` is empty)",
            default_text="instance/jobs.db"),
    Setting("HOCTAP_JOB_STALE_SECONDS", 180, non_negative_integer,
            "a running job (harvest run) whose heartbeat is older than this is failed by the "
            "worker's sweep, and its source freed"),
    Setting("HOCTAP_JOB_HEARTBEAT_SECONDS", 15, positive_integer,
            "how often a worker and a running harvest beat, seconds"),
)  # fmt: skip

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def _instance_secret_key(instance_path: Path) -> str:
    """Return the secret key kept in instance/, generating it on first use.

    A key generated per process would log everybody out on every restart and break
    sessions across several workers, so it is generated once and stored.
    """
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two workers starting at once must not write two different keys.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The `HOCTAP_CONFIG` TOML file: top-level keys named like the environment variables."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{CONFIG_FILE_VARIABLE}: không tìm thấy tệp {path}") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{CONFIG_FILE_VARIABLE}: không đọc được {path}: {error}") from None
    unknown = sorted(set(data) - set(BY_NAME))
    if unknown:
        raise ConfigError(
            f"{CONFIG_FILE_VARIABLE}: {path} có thiết lập không biết: {', '.join(unknown)}"
        )
    return data


@dataclass(frozen=True)
class Resolved:
    setting: Setting
    value: Any
    #: "env", "file" or "default".
    source: str

    def shown(self) -> Any:
        mask = self.setting.mask
        return mask(self.value) if mask else self.value


def resolve(instance_path: Path, environ: Mapping[str, str] | None = None) -> list[Resolved]:
    """Every setting's effective value and where it came from."""
    environ = os.environ if environ is None else environ
    file_values: dict[str, Any] = {}
    if environ.get(CONFIG_FILE_VARIABLE):
        file_values = read_config_file(environ[CONFIG_FILE_VARIABLE])
    values: dict[str, Any] = {}
    out = []
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        if raw not in (None, ""):
            source = "env"
        elif setting.name in file_values:
            raw, source = file_values[setting.name], "file"
        else:
            source = "default"
        if source == "default":
            default = setting.default
            value = default(instance_path, values) if callable(default) else default
        else:
            try:
                value = setting.parse(raw)
            except ValueError as error:
                where = "biến môi trường" if source == "env" else f"tệp {CONFIG_FILE_VARIABLE}"
                raise ConfigError(f"{setting.name} ({where}): {error}") from None
        values[setting.name] = value
        out.append(Resolved(setting, value, source))
    return out


def from_environment(instance_path: Path, environ: Mapping[str, str] | None = None) -> dict:
    """The app.config values of every setting."""
    return {item.setting.config_key: item.value for item in resolve(instance_path, environ)}


#: Defaults that are not deployment choices.
DEFAULTS = {
    # Connections idle for a while are pinged before reuse (core/database.py), not all.
    # JSON columns are read with orjson (same values, several times faster on the
    # contest's questions); they are still written by the standard library.
    # hide_parameters: a database error's message (logged with the traceback of a 500)
    # leaves out the statement's values, which can be an email, a password or an answer.
    "SQLALCHEMY_ENGINE_OPTIONS": {
        "pool_recycle": 3600,
        "json_deserializer": jsonfast.column_loads,
        "hide_parameters": True,
    },
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": 4 * 3600,
    # Uploads are checked again per feature; this is the hard ceiling for any request body
    # (deploy/nginx/hoctap.conf has the same client_max_body_size).
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_STRATEGY": "moving-window",
    # A mail server that does not answer must not hold a web worker for long.
    "MAIL_TIMEOUT": 15,
}

#: Applied on top for `create_app(config={"TESTING": True, ...})`.
TESTING = {
    "HOCTAP_ARGON2": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
    "SERVER_NAME": None,
}
