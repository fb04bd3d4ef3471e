"""Text from our own vocabularies written into SQL: patterns and words from etl/vocab, never a file's values
(those are always bound as parameters)."""
from __future__ import annotations


def literal(text: object) -> str:
    """An SQL string literal of `text`, its quotes doubled."""
    return "'" + str(text).replace("'", "''") + "'"
