"""Turning catalog rows into index documents (the only place that knows both shapes)."""

from __future__ import annotations

from ..catalog.models import Resource
from ..catalog.vocab import fold
from .analysis import normalize_text
from .schema import FIELD_BREAK

#: Characters of the description kept in the stored payload for result snippets.
SNIPPET_CHARS = 300


def document_for(resource: Resource) -> dict:
    title = normalize_text(resource.title)
    description = normalize_text(resource.description or "")
    subjects = [normalize_text(s) for s in resource.subjects]
    publisher = resource.provider.name if resource.provider else ""
    people = "\n".join([*resource.creators, *resource.contributors, publisher])
    subject_text = "\n".join(subjects)
    created = int(resource.created_at.timestamp()) if resource.created_at else 0
    return {
        "id": str(resource.id),
        "identifier": resource.identifier,
        "title": title,
        "title_f": title,
        "subjects": subject_text,
        "subjects_f": subject_text,
        "people_f": people,
        "description": description,
        "text_f": f" {FIELD_BREAK} ".join([title, subject_text, people, description]),
        "type": resource.type,
        "subject": ",".join(s.replace(",", " ") for s in subjects),
        "publisher": publisher,
        "language": resource.language or "",
        "level": resource.level or "",
        "license": resource.license,
        "year": resource.year or 0,
        "created": created,
        "sort_title": fold(title)[:200],
        "payload": {
            "id": resource.id,
            "identifier": resource.identifier,
            "title": title,
            "url": resource.url,
            "type": resource.type,
            "publisher": publisher or None,
            "provider_slug": resource.provider.slug if resource.provider else None,
            "subjects": subjects,
            "creators": list(resource.creators),
            "language": resource.language,
            "level": resource.level,
            "license": resource.license,
            "year": resource.year,
            "snippet": description[:SNIPPET_CHARS],
        },
    }
