"""Typed text in SQL patterns: what a person types is matched literally."""
from __future__ import annotations

LIKE_ESCAPE = "\\"


def like_escape(text: str) -> str:
    """``text`` with LIKE's wildcards (and the escape character) taken literally; use
    with ``escape=LIKE_ESCAPE``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(text: str) -> str:
    """A LIKE pattern matching any value that contains ``text``."""
    return f"%{like_escape(text)}%"
