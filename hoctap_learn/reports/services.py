"""Who may see which figures, and the filters parsed from plain values."""

from __future__ import annotations

from datetime import date

from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..units import services as units
from .figures import Filters


def parse_day(value: str | None, field: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"Ngày “{text[:20]}” không hợp lệ: dùng dạng năm-tháng-ngày, ví dụ 2022-10-19.",
            field=field,
        ) from None
    if not 2000 <= day.year <= 2100:
        raise ValidationError("Ngày phải trong khoảng năm 2000–2100.", field=field)
    return day


def build_filters(
    user,
    campaign_slug: str | None = None,
    unit_code: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> Filters:
    """Filters for `user` (None: the command line, which sees everything).

    Organizers see their unit and below; asking for another unit is refused.
    """
    campaign = units.get_campaign(campaign_slug) if campaign_slug else units.current_campaign()
    if campaign is None:
        raise NotFound("Chưa có Tuần lễ nào.")
    root_id = None
    if unit_code:
        unit = units.get_unit(unit_code)
        if user is not None and not units.can_manage_unit(user, unit):
            raise PermissionDenied("Bạn không có quyền xem số liệu của đơn vị này.")
        root_id = unit.id
    elif user is not None:
        root_id = units.managed_root_id(user)
    start = parse_day(date_from, "date_from")
    end = parse_day(date_to, "date_to")
    if start and end and end < start:
        raise ValidationError("“Đến ngày” phải sau hoặc bằng “Từ ngày”.", field="date_to")
    return Filters(campaign=campaign, root_id=root_id, date_from=start, date_to=end)
