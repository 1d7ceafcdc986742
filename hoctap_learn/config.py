"""Configuration read from environment variables.

Everything a deployment changes is an environment variable; everything else is a constant
here. `create_app(config)` lets tests override any key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .core import jsonfast

#: The repository root when running from a checkout (editable install).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


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


def _int(env, name: str, default: int, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} phải là số nguyên, không phải {raw!r}.") from None
    if value < minimum:
        raise ValueError(f"{name} phải lớn hơn hoặc bằng {minimum}.")
    return value


def from_environment(instance_path: Path) -> dict:
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'hoctap.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "HOCTAP_INDEX_DIR": env.get("HOCTAP_INDEX_DIR") or str(instance_path / "search-index"),
        "HOCTAP_CONTENT_DIR": env.get("HOCTAP_CONTENT_DIR") or str(PROJECT_ROOT / "content"),
        "HOCTAP_UPLOAD_DIR": env.get("HOCTAP_UPLOAD_DIR") or str(instance_path / "uploads"),
        "RATELIMIT_STORAGE_URI": env.get("HOCTAP_RATELIMIT_STORAGE_URI", "memory://"),
        "HOCTAP_LOGIN_LIMIT": env.get("HOCTAP_LOGIN_LIMIT", "10 per minute;50 per hour"),
        "HOCTAP_LOGIN_MAX_DELAY": _int(env, "HOCTAP_LOGIN_MAX_DELAY", 60, minimum=1),
        "HOCTAP_REGISTER_LIMIT": env.get("HOCTAP_REGISTER_LIMIT", "5 per hour"),
        "HOCTAP_TRUSTED_PROXIES": _int(env, "HOCTAP_TRUSTED_PROXIES", 0, minimum=0),
        "SESSION_COOKIE_SECURE": env.get("HOCTAP_SECURE_COOKIES", "0") == "1",
        "PORT": int(env.get("PORT", "5000")),
        # Harvest: internal hosts it may reach (names, addresses, CIDR ranges; default none)
        # and the bytes one harvested response may have.
        "HOCTAP_HARVEST_ALLOW_HOSTS": env.get("HOCTAP_HARVEST_ALLOW_HOSTS", ""),
        "HOCTAP_HARVEST_MAX_BYTES": int(env.get("HOCTAP_HARVEST_MAX_BYTES", 50 * 1024 * 1024)),
    }


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
    # Uploads are checked again per feature; this is the hard ceiling for any request body.
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_STRATEGY": "moving-window",
    #: Argon2id cost; tests lower it (hashing is deliberately slow).
    "HOCTAP_ARGON2": {"time_cost": 3, "memory_cost": 65536, "parallelism": 2},
    "HOCTAP_TIMEZONE": "Asia/Ho_Chi_Minh",
    "HOCTAP_PER_PAGE": 20,
}

#: Applied on top for `create_app(config={"TESTING": True, ...})`.
TESTING = {
    "HOCTAP_ARGON2": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
    "SERVER_NAME": None,
}
