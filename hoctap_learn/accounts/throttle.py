"""Login throttling: increasing delays per account and per client address.

A hard block of an account after N failures would let anybody lock its owner out, so
failed logins instead make the *next* try wait: after `FREE_PER_ACCOUNT` failures for an
account (however its email is spelled: `login_key`) within `WINDOW` seconds, each further
failure makes the account wait 2, 4, 8 … seconds, at most `HOCTAP_LOGIN_MAX_DELAY`
(default 60). The same holds per client address after `FREE_PER_ADDRESS` failures. An
address from which the account has logged in successfully (within `KNOWN_DAYS`) is not held
by the account's delay, only by its own: the owner at home is not slowed by a stranger's
guesses, and the owner anywhere else waits at most the capped delay. Against one account,
guesses from any number of addresses are slowed to about one a minute (~70 an hour).

The counters live in the rate limiter's storage (memory, or Redis through
`HOCTAP_RATELIMIT_STORAGE_URI`), so every worker and process shares them.
"""

from __future__ import annotations

import hashlib
import math
import time
import unicodedata

from flask import current_app

from ..core.errors import DomainError
from ..extensions import limiter

FREE_PER_ACCOUNT = 5
FREE_PER_ADDRESS = 20
#: Failures are counted over this many seconds from the first one.
WINDOW = 3600
KNOWN_DAYS = 30

MESSAGE = "Bạn đã đăng nhập sai nhiều lần. Vui lòng thử lại sau {seconds} giây."


class TooManyFailures(DomainError):
    """A login tried before the delay earned by earlier failures has passed."""

    status = 429

    def __init__(self, retry_after: int):
        super().__init__(MESSAGE.format(seconds=retry_after))
        self.retry_after = retry_after


REGISTER_MESSAGE = (
    "Có quá nhiều lượt đăng ký từ địa chỉ của bạn. Vui lòng thử lại sau {seconds} giây."
)


class TooManyRegistrations(DomainError):
    """A filled-in registration form beyond HOCTAP_REGISTER_LIMIT for one client address."""

    status = 429

    def __init__(self, retry_after: int):
        super().__init__(REGISTER_MESSAGE.format(seconds=retry_after))
        self.retry_after = retry_after


def take_registration(address: str) -> None:
    """Count one filled-in registration form from `address`, or raise TooManyRegistrations.

    Checking and counting are one step in the limiter's storage (`hit`), so requests sent
    in parallel cannot all pass the check before any of them is counted, as they could
    with a limit counted after the response.
    """
    wait = _take("HOCTAP_REGISTER_LIMIT", "hoctap-register", address)
    if wait:
        raise TooManyRegistrations(wait)


RESET_MESSAGE = (
    "Có quá nhiều yêu cầu đặt lại mật khẩu. Vui lòng thử lại sau {seconds} giây."
)


class TooManyResets(DomainError):
    """A password-reset request beyond the limit for its email address or client address."""

    status = 429

    def __init__(self, retry_after: int):
        super().__init__(RESET_MESSAGE.format(seconds=retry_after))
        self.retry_after = retry_after


def take_reset(email: str, address: str) -> None:
    """Count one password-reset request for `email` (however it is spelled, whether or not
    an account has it) from `address`, or raise TooManyResets. Both limits are counted in
    one step each (`hit`), like registrations."""
    wait = _take("HOCTAP_RESET_ADDRESS_LIMIT", "hoctap-reset-address", address)
    if wait:
        raise TooManyResets(wait)
    account = hashlib.sha256(login_key(email).encode()).hexdigest()[:32]
    wait = _take("HOCTAP_RESET_LIMIT", "hoctap-reset-account", account)
    if wait:
        raise TooManyResets(wait)


def _take(setting: str, namespace: str, key: str) -> int:
    """Hit every limit of `setting` for `key`; 0 if all allowed it, else seconds to wait."""
    from limits import parse_many

    strategy = limiter.limiter
    for item in parse_many(current_app.config[setting]):
        if not strategy.hit(item, namespace, key):
            reset, _ = strategy.get_window_stats(item, namespace, key)
            return max(1, math.ceil(reset - time.time()))
    return 0


def login_key(email) -> str:
    """The account an email spelling means, for limits and lookups: NFKC, case-folded,
    trimmed (``ThiSinh@ｄemo.hoctap.vn `` and ``thisinh@demo.hoctap.vn`` are one)."""
    return unicodedata.normalize("NFKC", email if isinstance(email, str) else "").casefold().strip()


def _name(kind: str, value: str) -> str:
    # Hashed: the storage holds no email addresses, and any spelling fits in a key.
    return f"hoctap-login/{kind}/" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _storage():
    return limiter.storage


def _wait(key: str) -> int:
    """Seconds left on a delay key, 0 if none."""
    storage = _storage()
    if storage.get(key) <= 0:
        return 0
    return max(1, math.ceil(storage.get_expiry(key) - time.time()))


def check(account: str, address: str) -> None:
    """Raise TooManyFailures if this try must wait; call before checking the password."""
    wait = _wait(_name("address-wait", address))
    if not _known(account, address):
        wait = max(wait, _wait(_name("account-wait", account)))
    if wait:
        raise TooManyFailures(wait)


def failed(account: str, address: str) -> None:
    """Count a failed login and set the delay the next try must wait."""
    _count(_name("account", account), _name("account-wait", account), FREE_PER_ACCOUNT)
    _count(_name("address", address), _name("address-wait", address), FREE_PER_ADDRESS)


def succeeded(account: str, address: str) -> None:
    """Remember the address the account logged in from (it skips the account's delay)."""
    storage = _storage()
    key = _name("known", f"{account} {address}")
    storage.clear(key)
    storage.incr(key, KNOWN_DAYS * 86400)


def _known(account: str, address: str) -> bool:
    return _storage().get(_name("known", f"{account} {address}")) > 0


def _count(counter: str, wait_key: str, free: int) -> None:
    storage = _storage()
    failures = storage.incr(counter, WINDOW)
    if failures > free:
        cap = current_app.config["HOCTAP_LOGIN_MAX_DELAY"]
        delay = min(cap, 2 ** min(failures - free, 16))
        storage.clear(wait_key)
        storage.incr(wait_key, delay)
