"""Records catalog changes in the search change log, inside the changing transaction.

Only the search package writes the index; this module only appends `SearchChange` rows in
the same flush as the change, so a rollback takes them away too. After the transaction
commits, the app context teardown asks the search package to catch up.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from ..core.types import utcnow
from .models import Provider, Resource, ResourceSubject, SearchChange

#: Columns whose change does not alter what the index holds.
_NOT_INDEXED = {"view_count", "click_count", "updated_at"}


def _indexed_change(obj) -> bool:
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        if attr.key in _NOT_INDEXED:
            continue
        if state.attrs[attr.key].history.has_changes():
            return True
    return False


def _changed_resource_ids(session: Session) -> set[int]:
    ids: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Resource):
            if obj in session.dirty and not _indexed_change(obj):
                continue
            if obj.id is not None:
                ids.add(obj.id)
        elif isinstance(obj, ResourceSubject) and obj.resource_id is not None:
            ids.add(obj.resource_id)
        elif isinstance(obj, Provider) and obj in session.dirty and _indexed_change(obj):
            ids.update(
                session.connection().scalars(
                    select(Resource.id).where(Resource.provider_id == obj.id)
                )
            )
    return ids


def record_resource_changes(session: Session, ids) -> None:
    """Append change rows for resources changed outside the ORM (bulk statements)."""
    ids = sorted(set(ids))
    if ids:
        now = utcnow()
        session.connection().execute(
            insert(SearchChange), [{"resource_id": i, "created_at": now} for i in ids]
        )
        session.info["search_dirty"] = True


def _after_flush(session: Session, _context) -> None:
    # Objects are flushed, so new rows have ids; session.new/dirty still list them here.
    record_resource_changes(session, _changed_resource_ids(session))


def install() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
