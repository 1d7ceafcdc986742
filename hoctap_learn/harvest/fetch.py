"""HTTP with bounded retries: 503/429 with Retry-After (seconds or an HTTP date), timeouts.

Shared by the OAI-PMH client wrapper and the feed/file downloaders so every source kind
fails the same way: a `HarvestFailure` with a Vietnamese message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx2

T = TypeVar("T")

#: Status codes that mean "come back later".
RETRY_STATUSES = (429, 503)


class HarvestFailure(Exception):
    """The run cannot go on; `str()` is a Vietnamese message for the run log."""


@dataclass
class RetryPolicy:
    """How long to wait for a slow or busy server, and how often to try again."""

    #: Seconds to wait for a connection or a response.
    timeout: float = 30.0
    #: Retries after the first attempt (so `retries + 1` attempts at most).
    retries: int = 3
    #: Upper bound of one wait, whatever Retry-After asks for.
    max_wait: float = 120.0
    #: Wait when the server gives no usable Retry-After, and the first back-off step.
    default_wait: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    @classmethod
    def from_config(cls, config) -> RetryPolicy:
        return cls(
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


def describe_transport_error(url: str, error: Exception, policy: RetryPolicy) -> str:
    if isinstance(error, httpx2.TimeoutException):
        return (
            f"Máy chủ {url} không trả lời trong {policy.timeout:g} giây "
            f"(đã thử {policy.retries + 1} lần)."
        )
    if isinstance(error, httpx2.ConnectError):
        return (
            f"Không kết nối được tới máy chủ {url} (đã thử {policy.retries + 1} lần): "
            "máy chủ không chạy, sai địa chỉ hoặc bị chặn."
        )
    return f"Lỗi mạng khi gọi {url}: {error}"


def with_retries(url: str, policy: RetryPolicy, attempt: Callable[[], T]) -> T:
    """Call `attempt` until the server is not "busy" and answers, within the bound.

    `attempt` may raise httpx2 transport errors (retried with back-off) and
    `httpx2.HTTPStatusError` (503/429 retried after Retry-After). Any other HTTP error,
    or running out of retries, raises `HarvestFailure`.
    """
    for number in range(policy.retries + 1):
        last = number == policy.retries
        try:
            return attempt()
        except httpx2.HTTPStatusError as error:
            status = error.response.status_code
            if status not in RETRY_STATUSES:
                raise HarvestFailure(f"Máy chủ {url} trả lỗi HTTP {status}.") from error
            if last:
                raise HarvestFailure(
                    f"Máy chủ {url} vẫn báo bận (HTTP {status}) sau {policy.retries + 1} lần thử."
                ) from error
            wait = retry_after_seconds(
                error.response.headers.get("retry-after"), policy.default_wait
            )
        except httpx2.TransportError as error:
            if last:
                raise HarvestFailure(describe_transport_error(url, error, policy)) from error
            wait = policy.default_wait * 2**number
        policy.sleep(min(wait, policy.max_wait))
    raise AssertionError("unreachable")


def download(url: str, policy: RetryPolicy, max_bytes: int) -> bytes:
    """GET a document (feed, spreadsheet) with the same retry rules, size-capped."""

    def attempt() -> bytes:
        with (
            httpx2.Client(timeout=policy.timeout, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            response.raise_for_status()
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise HarvestFailure(f"Tệp tại {url} lớn quá {max_bytes // (1024 * 1024)} MB.")
                chunks.append(chunk)
            return b"".join(chunks)

    return with_retries(url, policy, attempt)
