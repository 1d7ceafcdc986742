"""HTTP for every harvest request: the address guard, a size cap, bounded retries.

Shared by the OAI-PMH client and the feed/file downloaders so every source kind fails the
same way: a `HarvestFailure` whose Vietnamese message names only the class of the problem
("Không tải được (lý do: …)"). An organizer must not learn from it whether a port is
closed or filtered, or what an internal host answered; the detail goes to the server log.
Retries: 503/429 wait per Retry-After (seconds or an HTTP date) whatever the body says;
timeouts and failed connections back off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx2

from .guard import MAX_REDIRECTS, AddressPolicy, AddressRefused, harvest_client

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Status codes that mean "come back later".
RETRY_STATUSES = (429, 503)


class HarvestFailure(Exception):
    """The run cannot go on; `str()` is a Vietnamese message for the run log."""


#: Reasons an organizer may read (the classes, never the details).
REFUSED = "địa chỉ không được phép"
TIMEOUT = "hết thời gian"
UNREACHABLE = "không kết nối được"
TOO_BIG = "quá lớn"
NOT_OAI = "nội dung không phải OAI-PMH"


def could_not_fetch(reason: str) -> HarvestFailure:
    return HarvestFailure(f"Không tải được (lý do: {reason}).")


@dataclass
class RetryPolicy:
    """How the harvest fetches: where it may connect, how much it reads, how long it
    waits for a slow or busy server, and how often it tries again."""

    #: Seconds to wait for a connection or a response.
    timeout: float = 30.0
    #: Retries after the first attempt (so `retries + 1` attempts at most).
    retries: int = 3
    #: Upper bound of one wait, whatever Retry-After asks for.
    max_wait: float = 120.0
    #: Wait when the server gives no usable Retry-After, and the first back-off step.
    default_wait: float = 5.0
    #: Bytes one response may have (decoded, whatever Content-Length says).
    max_bytes: int = 50 * 1024 * 1024
    #: Which addresses may be connected to (HOCTAP_HARVEST_ALLOW_HOSTS).
    addresses: AddressPolicy = field(default_factory=AddressPolicy)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    @classmethod
    def from_config(cls, config) -> RetryPolicy:
        return cls(
            max_bytes=int(config.get("HOCTAP_HARVEST_MAX_BYTES", 50 * 1024 * 1024)),
            addresses=AddressPolicy.from_config(config),
            timeout=float(config.get("HOCTAP_HARVEST_TIMEOUT", 30)),
            retries=int(config.get("HOCTAP_HARVEST_RETRIES", 3)),
            max_wait=float(config.get("HOCTAP_HARVEST_MAX_WAIT", 120)),
            default_wait=float(config.get("HOCTAP_HARVEST_DEFAULT_WAIT", 5)),
        )


def retry_after_seconds(value: str | None, default: float, now: datetime | None = None) -> float:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _failure_for(url: str, error: Exception, policy: RetryPolicy) -> HarvestFailure:
    """The organizer's message for a transport error; the detail is logged."""
    log.warning("harvest: fetching %s failed: %r", url, error)
    tries = f", đã thử {policy.retries + 1} lần"
    # A connect timeout (a filtered port) reads the same as a refused connection (a
    # closed port): the message must not map the inside of a network.
    if isinstance(error, httpx2.TimeoutException) and not isinstance(error, httpx2.ConnectTimeout):
        return could_not_fetch(TIMEOUT + tries)
    return could_not_fetch(UNREACHABLE + tries)


def with_retries(url: str, policy: RetryPolicy, attempt: Callable[[], T]) -> T:
    """Call `attempt` until the server is not "busy" and answers, within the bound.

    `attempt` may raise httpx2 transport errors (retried with back-off) and
    `httpx2.HTTPStatusError` (503/429 retried after Retry-After). Any other HTTP error,
    a refused address, or running out of retries, raises `HarvestFailure`.
    """
    for number in range(policy.retries + 1):
        last = number == policy.retries
        try:
            return attempt()
        except AddressRefused as error:
            log.warning("harvest: refused to fetch %s: %s", url, error)
            raise could_not_fetch(REFUSED) from error
        except httpx2.TooManyRedirects as error:
            log.warning("harvest: too many redirects from %s", url)
            raise could_not_fetch(f"chuyển hướng quá {MAX_REDIRECTS} lần") from error
        except httpx2.HTTPStatusError as error:
            status = error.response.status_code
            if status not in RETRY_STATUSES:
                raise could_not_fetch(f"máy chủ trả lỗi HTTP {status}") from error
            if last:
                raise could_not_fetch(
                    f"máy chủ báo bận HTTP {status}, đã thử {policy.retries + 1} lần"
                ) from error
            wait = retry_after_seconds(
                error.response.headers.get("retry-after"), policy.default_wait
            )
        except (httpx2.UnsupportedProtocol, httpx2.InvalidURL) as error:
            log.warning("harvest: bad URL or redirect target from %s: %r", url, error)
            raise could_not_fetch(UNREACHABLE) from error
        except httpx2.TransportError as error:
            if last:
                raise _failure_for(url, error, policy) from error
            wait = policy.default_wait * 2**number
        except httpx2.HTTPError as error:  # DecodingError (a broken gzip body) and the like
            log.warning("harvest: unreadable answer from %s: %r", url, error)
            raise could_not_fetch("nội dung hỏng") from error
        policy.sleep(min(wait, policy.max_wait))
    raise AssertionError("unreachable")


def too_big(policy: RetryPolicy) -> HarvestFailure:
    return could_not_fetch(f"{TOO_BIG}, trên {policy.max_bytes / (1024 * 1024):g} MB")


def read_capped(response: httpx2.Response, policy: RetryPolicy) -> bytes:
    """The decoded body, refused as soon as it passes `policy.max_bytes`.

    A declared Content-Length over the cap is refused before reading; a missing or false
    one changes nothing, since the bytes are counted as they arrive (after gzip/deflate
    decoding, so a compressed bomb is counted at its real size).
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        log.warning("harvest: %s declares %s bytes", response.request.url, declared)
        raise too_big(policy)
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > policy.max_bytes:
            log.warning("harvest: %s is over %s bytes", response.request.url, policy.max_bytes)
            raise too_big(policy)
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class Fetched:
    status: int
    content: bytes
    headers: httpx2.Headers


class Fetcher:
    """GET requests through the guarded client, size-capped and retried.

    A 503/429 is retried per Retry-After before its body is read, whatever the body is.
    Other statuses are returned with their (capped) body: the caller decides.
    """

    def __init__(self, policy: RetryPolicy, headers: dict | None = None):
        self.policy = policy
        self.client = harvest_client(policy.addresses, policy.timeout, headers)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, url: str, params: dict | None = None) -> Fetched:
        def attempt() -> Fetched:
            with self.client.stream("GET", url, params=params) as response:
                if response.status_code in RETRY_STATUSES:
                    raise httpx2.HTTPStatusError(
                        f"HTTP {response.status_code}",
                        request=response.request,
                        response=response,
                    )
                content = read_capped(response, self.policy)
                return Fetched(response.status_code, content, response.headers)

        return with_retries(url, self.policy, attempt)


def download(url: str, policy: RetryPolicy) -> bytes:
    """GET a document (feed, spreadsheet) with the same rules; an HTTP error fails."""
    with Fetcher(policy) as fetcher:
        fetched = fetcher.get(url)
    if fetched.status >= 400:
        raise could_not_fetch(f"máy chủ trả lỗi HTTP {fetched.status}")
    return fetched.content
