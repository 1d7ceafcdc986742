"""The index schema: an exact-accent and a folded copy of each text field, plus facets."""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import exact_analyzer, folded_analyzer

#: Text fields and their boosts. The exact copy outranks the folded one so "học" ranks
#: documents with "học" above those with "hóc" or "hộc"; title > subjects > people >
#: description.
TEXT_FIELDS = {
    "title": 8.0,
    "title_f": 5.0,
    "subjects": 4.0,
    "subjects_f": 3.0,
    "people_f": 1.5,
    # all text folded: the description's weight, and the field that decides matches
    "text_f": 1.0,
}

#: Bumped whenever the schema or analysis changes: an index of another version is rebuilt.
SCHEMA_VERSION = "5"

#: Put between fields in `text_f` so a phrase never spans two fields.
FIELD_BREAK = "xqxfieldbreakxqx"

#: Facet fields: (index field, API filter name).
FACETS = ("type", "subject", "publisher", "language", "level", "license")


def make_schema() -> Schema:
    exact, folded = exact_analyzer(), folded_analyzer()
    return Schema(
        id=ID(unique=True, stored=True),
        identifier=ID(stored=True),
        title=TEXT(analyzer=exact, stored=True, phrase=True),
        title_f=TEXT(analyzer=folded, phrase=True, spelling=True),
        subjects=TEXT(analyzer=exact, phrase=True),
        subjects_f=TEXT(analyzer=folded, phrase=True),
        people_f=TEXT(analyzer=folded, phrase=True),
        # Stored for highlighting only: indexing it again with accents cost a third of the
        # build time for little ranking gain (titles and subjects keep their exact copies).
        description=STORED(),
        # Every text field folded, in one posting list per word: deciding which documents
        # match (for totals and facets) reads one list per word instead of eight.
        text_f=TEXT(analyzer=folded, phrase=True, spelling=True),
        # Facets: one term per value, stored as columns for fast grouping and sorting.
        type=ID(sortable=True),
        subject=KEYWORD(commas=True, lowercase=False, scorable=False),
        publisher=ID(sortable=True),
        language=ID(sortable=True),
        level=ID(sortable=True),
        license=ID(sortable=True),
        year=NUMERIC(int, bits=16, sortable=True, signed=False),
        created=NUMERIC(int, bits=64, sortable=True, signed=False),
        sort_title=ID(sortable=True),
        # Everything a result needs, so a page of results reads nothing from the database.
        payload=STORED(),
    )
