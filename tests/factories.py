"""Small factories for tests: real service calls, no hand-built rows where a service exists."""

from __future__ import annotations

import itertools

from hoctap_learn.accounts import services as accounts
from hoctap_learn.extensions import db
from hoctap_learn.units.models import Unit

PASSWORD = "Hoc-tap-2022"
_seq = itertools.count(1)


def make_unit(
    code: str | None = None,
    parent: Unit | None = None,
    kind: str = "district",
    name: str | None = None,
) -> Unit:
    n = next(_seq)
    unit = Unit(code=code or f"unit-{n}", name=name or f"Đơn vị {n}", kind=kind, parent=parent)
    db.session.add(unit)
    db.session.commit()
    return unit


def make_user(
    email: str | None = None,
    role: str = "participant",
    unit: Unit | None = None,
    password: str = PASSWORD,
    **profile,
):
    n = next(_seq)
    data = accounts.ProfileInput(
        full_name=profile.pop("full_name", f"Người dùng {n}"),
        unit_id=unit.id if unit else None,
        **profile,
    )
    user = accounts.register(email or f"user{n}@example.vn", password, data, role=role)
    db.session.commit()
    return user
