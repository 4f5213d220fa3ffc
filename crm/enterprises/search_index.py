"""The indexes behind the enterprise search, one set per database, and the search
condition that uses them.

Each database has its own means, so these live beside the table rather than in its
``__table_args__``:

- **PostgreSQL**: ``pg_trgm`` GIN indexes on the name and on the two pinyin keys (a
  substring of three characters or more, and any prefix, is an index lookup), and
  ``pattern_ops`` b-trees for the credit code and its organisation-code part (prefix).
- **SQLite**: an FTS5 table with the trigram tokenizer over the name, the pinyin keys and
  the credit code (external content: it stores no copy of the names), kept in step by
  triggers — so the forms, the Excel importer and the seeds' bulk inserts all keep it,
  whatever path writes the row.

What a typed text matches (the same on both databases):

- the **name** contains it (any case). A fragment of two characters (a 字号 such as 兴发
  is often two) has no trigram: PostgreSQL looks it up in a second GIN index of the
  name's character pairs (a bigram index, as pg_bigm keeps, built from stock
  functions); SQLite compares the names row by row (a county's few thousand rows).
  One character is compared row by row on both (it matches a large share anyway).
  One or two Latin letters match the start of the name only, as for the pinyin;
- the **pinyin** or its **initials** contain it, when it is Latin letters and digits —
  a substring, not a prefix, because a registered name starts with its place (宜昌、豫中)
  and people type the 字号 after it; a key of one or two letters matches as a prefix only
  (as a substring it would match nearly every name);
- the **credit code** starts with it, or — four characters or more — its organisation
  code (positions 9–17, the 组织机构代码 people quote from before 2015) does.

``install`` attaches the DDL to the table, so ``create_all`` (the tests) builds the
same objects as the migration ``e19000000019``; ``include_object`` keeps Alembic's
comparison and autogenerate away from them.
"""
from __future__ import annotations

import re

from sqlalchemy import (DDL, and_, cast, column, event, func, literal_column, or_, select,
                        table)
from sqlalchemy.dialects.postgresql import TSQUERY

from crm.core.text import LIKE_ESCAPE, like_escape

FTS_TABLE = "enterprises_fts"
BIGRAMS = "enterprise_name_bigrams"
FTS_COLUMNS = ("name", "name_pinyin", "name_initials", "credit_code")
# The smallest fragment a trigram index can serve.
TRIGRAM = 3
# An organisation-code fragment shorter than this says too little to search by.
ORG_CODE_MIN = 4
ORG_CODE_START, ORG_CODE_LENGTH = 9, 9

_cols = ", ".join(FTS_COLUMNS)
_new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
_old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({_cols}, "
    "content='enterprises', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON enterprises BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, {_cols}) VALUES (new.id, {_new}); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON enterprises BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_cols}) VALUES ('delete', old.id, {_old}); "
    "END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF {_cols} ON enterprises "
    f"BEGIN INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_cols}) "
    f"VALUES ('delete', old.id, {_old}); "
    f"INSERT INTO {FTS_TABLE}(rowid, {_cols}) VALUES (new.id, {_new}); END",
)
POSTGRESQL_DDL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_enterprises_name_trgm ON enterprises "
    "USING gin (name gin_trgm_ops)",
    # The name's character pairs as the lexemes of a tsvector (what pg_bigm indexes):
    # a two-character fragment is one lexeme to look up, and a tsvector match needs
    # no recheck of the row (an array's containment would recompute the pairs).
    f"CREATE OR REPLACE FUNCTION {BIGRAMS}(name text) RETURNS tsvector "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$ SELECT array_to_tsvector(ARRAY("
    "SELECT DISTINCT lower(substr(name, i, 2)) "
    "FROM generate_series(1, char_length(name) - 1) AS i)) $$",
    f"CREATE INDEX IF NOT EXISTS ix_enterprises_name_bigrams ON enterprises "
    f"USING gin ({BIGRAMS}(name))",
    "CREATE INDEX IF NOT EXISTS ix_enterprises_pinyin_trgm ON enterprises "
    "USING gin (name_pinyin gin_trgm_ops, name_initials gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_enterprises_code_prefix ON enterprises "
    "(credit_code varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS ix_enterprises_org_code_prefix ON enterprises "
    f"((substr(credit_code, {ORG_CODE_START}, {ORG_CODE_LENGTH})) text_pattern_ops)",
)
SEARCH_INDEXES = frozenset({"ix_enterprises_name_trgm", "ix_enterprises_name_bigrams",
                            "ix_enterprises_pinyin_trgm",
                            "ix_enterprises_code_prefix", "ix_enterprises_org_code_prefix"})
# FTS5 keeps its index in shadow tables named after the virtual table.
_FTS_NAME = re.compile(rf"^{FTS_TABLE}(_(data|idx|docsize|config|content))?$")


def install(target_table) -> None:
    """Create the search objects whenever ``enterprises`` is created from the models."""
    for statement in SQLITE_DDL:
        event.listen(target_table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in POSTGRESQL_DDL:
        event.listen(target_table, "after_create",
                     DDL(statement).execute_if(dialect="postgresql"))


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: the search objects are not in the models and stay out of the
    comparison (and out of autogenerated migrations)."""
    if type_ == "table" and name and _FTS_NAME.match(name):
        return False
    return not (type_ == "index" and name in SEARCH_INDEXES)


# -- the search condition -------------------------------------------------------------

_CODE = re.compile(r"^[0-9A-Z]+$")
_LATIN = re.compile(r"^[\x20-\x7e]+$")
_fts = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))


def _fts_phrase(columns: str, text: str) -> str:
    """An FTS5 query: ``text`` as one phrase (a substring, with the trigram tokenizer)
    in ``columns``; quotes are doubled, so any text is taken literally."""
    return "{%s}: \"%s\"" % (columns, text.replace('"', '""'))


def _tsquery_lexeme(lexeme: str) -> str:
    """``lexeme`` as a tsquery of that one lexeme, taken literally (quoted)."""
    return "'%s'" % lexeme.replace("\\", "\\\\").replace("'", "''")


def _fts_ids(query: str):
    return select(_fts.c.rowid).where(_fts.c[FTS_TABLE].op("MATCH")(query))


def condition(entity, text: str, dialect: str, *, code: str = "", key: str = ""):
    """SQL condition on ``entity`` (the ``Enterprise`` class) for a typed ``text``;
    ``code`` is the text as a credit code (upper case, no spaces) and ``key`` as a
    pinyin key (lower-case letters and digits). See the module's docstring."""
    sqlite = dialect == "sqlite"
    pinyin = key if _LATIN.match(text) else ""
    code = code if _CODE.match(code) else ""
    conds, phrases = [], []
    short = len(text) < TRIGRAM
    if sqlite and not short:
        phrases.append(_fts_phrase("name", text))
    elif short and not pinyin and len(text) == 2 and not sqlite:
        conds.append(getattr(func, BIGRAMS)(entity.name).op("@@")(
            cast(_tsquery_lexeme(text.lower()), TSQUERY)))
    else:
        # One or two Latin letters: the start of the name, as for the pinyin below (an
        # index lookup on PostgreSQL); one or two Chinese characters: anywhere in it.
        pattern = like_escape(text) + "%"
        pattern = pattern if short and pinyin else "%" + pattern
        # ILIKE lower-cases every name it reads: only worth it when case can differ.
        # (SQLite's LIKE ignores ASCII case already.)
        cased = text.lower() != text.upper()
        like = entity.name.ilike if cased and not sqlite else entity.name.like
        conds.append(like(pattern, escape=LIKE_ESCAPE))
    if pinyin and len(pinyin) >= TRIGRAM:
        if sqlite:
            phrases.append(_fts_phrase("name_pinyin name_initials", pinyin))
        else:
            conds += [entity.name_pinyin.like(f"%{pinyin}%"),
                      entity.name_initials.like(f"%{pinyin}%")]
    elif pinyin:
        conds += [_prefix(entity.name_pinyin, pinyin, sqlite),
                  _prefix(entity.name_initials, pinyin, sqlite)]
    if code:
        conds.append(_prefix(entity.credit_code, code, sqlite))
    if len(code) >= ORG_CODE_MIN:
        org = func.substr(entity.credit_code, literal_column(str(ORG_CODE_START)),
                          literal_column(str(ORG_CODE_LENGTH)))
        if sqlite:  # the trigram index finds the candidates, the position is checked
            conds.append(and_(entity.id.in_(_fts_ids(_fts_phrase("credit_code", code))),
                              _prefix(org, code, sqlite)))
        else:
            conds.append(_prefix(org, code, sqlite))
    if phrases:
        conds.append(entity.id.in_(_fts_ids(" OR ".join(phrases))))
    return or_(*conds)


def _prefix(expr, prefix: str, sqlite: bool):
    """``expr`` starts with ``prefix`` (letters and digits only), in the form the
    database's b-tree serves: GLOB on SQLite (binary, as its indexes), LIKE on
    PostgreSQL (a ``pattern_ops`` or trigram index)."""
    return expr.op("GLOB")(f"{prefix}*") if sqlite else expr.like(f"{prefix}%")
