"""Local time of the province for display and for reading local times.

The zone is the `HOCTAP_TIMEZONE` setting (default Asia/Ho_Chi_Minh). `VN_TZ` is a tzinfo that
follows the setting of the current app, so modules can keep using it as a constant. Report
days kept by the database (triggers, `reports.figures.local_day`) are counted in UTC+7:
`REPORT_DAY_TZ` is that fixed offset for the Python side of the same boundaries.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"

#: The day boundaries of the kept report counts (SQL `+7 hours`); Vietnam has no DST.
REPORT_DAY_TZ = timezone(timedelta(hours=7), "UTC+07")


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone() -> ZoneInfo:
    """The configured zone of the current app (the default outside an app context)."""
    from flask import current_app, has_app_context

    name = current_app.config.get("HOCTAP_TIMEZONE") if has_app_context() else None
    return _zone(name or DEFAULT_ZONE)


class _LocalZone(tzinfo):
    """A tzinfo that delegates to `local_zone()` at the time it is used."""

    def utcoffset(self, dt):
        return local_zone().utcoffset(dt)

    def dst(self, dt):
        return local_zone().dst(dt)

    def tzname(self, dt):
        return local_zone().tzname(dt)

    def fromutc(self, dt):
        zone = local_zone()
        return zone.fromutc(dt.replace(tzinfo=zone)).replace(tzinfo=self)

    def __repr__(self) -> str:
        return "VN_TZ"


#: The configured local zone (name kept from when it was fixed to Asia/Ho_Chi_Minh).
VN_TZ = _LocalZone()


def to_local(value: datetime) -> datetime:
    return value.astimezone(VN_TZ)


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%H:%M ngày %d/%m/%Y")


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")
