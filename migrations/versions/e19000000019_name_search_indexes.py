"""issue 19: name search indexes (pg_trgm GIN, SQLite FTS5 trigram) and prefix indexes

Revision ID: e19000000019
Revises: e18100000018
Create Date: 2026-12-06 10:31:00

The same objects as ``crm.enterprises.search_index`` builds with ``create_all``, written
out here so that this revision stays as it was when the models move on. They are not
in the models' metadata (each database has its own), so Alembic's comparison leaves
them out (``search_index.include_object``).
"""
from alembic import op


revision = 'e19000000019'
down_revision = 'e18100000018'
branch_labels = None
depends_on = None

_COLS = "name, name_pinyin, name_initials, credit_code"
_NEW = "new.name, new.name_pinyin, new.name_initials, new.credit_code"
_OLD = "old.name, old.name_pinyin, old.name_initials, old.credit_code"

SQLITE = (
    # Trigram FTS5 over the registry's own rows (external content: no copy of the names).
    f"CREATE VIRTUAL TABLE IF NOT EXISTS enterprises_fts USING fts5({_COLS}, "
    "content='enterprises', content_rowid='id', tokenize='trigram')",
    # Triggers keep it in step whatever writes the row (forms, importer, bulk seeds).
    f"CREATE TRIGGER IF NOT EXISTS enterprises_fts_ai AFTER INSERT ON enterprises BEGIN "
    f"INSERT INTO enterprises_fts(rowid, {_COLS}) VALUES (new.id, {_NEW}); END",
    f"CREATE TRIGGER IF NOT EXISTS enterprises_fts_ad AFTER DELETE ON enterprises BEGIN "
    f"INSERT INTO enterprises_fts(enterprises_fts, rowid, {_COLS}) "
    f"VALUES ('delete', old.id, {_OLD}); END",
    f"CREATE TRIGGER IF NOT EXISTS enterprises_fts_au AFTER UPDATE OF {_COLS} ON enterprises "
    f"BEGIN INSERT INTO enterprises_fts(enterprises_fts, rowid, {_COLS}) "
    f"VALUES ('delete', old.id, {_OLD}); "
    f"INSERT INTO enterprises_fts(rowid, {_COLS}) VALUES (new.id, {_NEW}); END",
    # Index the enterprises already registered.
    "INSERT INTO enterprises_fts(enterprises_fts) VALUES ('rebuild')",
)
POSTGRESQL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_enterprises_name_trgm ON enterprises "
    "USING gin (name gin_trgm_ops)",
    # Two-character fragments: the name's character pairs as tsvector lexemes.
    "CREATE OR REPLACE FUNCTION enterprise_name_bigrams(name text) RETURNS tsvector "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$ SELECT array_to_tsvector(ARRAY("
    "SELECT DISTINCT lower(substr(name, i, 2)) "
    "FROM generate_series(1, char_length(name) - 1) AS i)) $$",
    "CREATE INDEX IF NOT EXISTS ix_enterprises_name_bigrams ON enterprises "
    "USING gin (enterprise_name_bigrams(name))",
    "CREATE INDEX IF NOT EXISTS ix_enterprises_pinyin_trgm ON enterprises "
    "USING gin (name_pinyin gin_trgm_ops, name_initials gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_enterprises_code_prefix ON enterprises "
    "(credit_code varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS ix_enterprises_org_code_prefix ON enterprises "
    "((substr(credit_code, 9, 9)) text_pattern_ops)",
)


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(dialect, ()):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in ("enterprises_fts_ai", "enterprises_fts_ad", "enterprises_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS enterprises_fts")
    else:
        for name in ("ix_enterprises_name_trgm", "ix_enterprises_name_bigrams",
                     "ix_enterprises_pinyin_trgm", "ix_enterprises_code_prefix",
                     "ix_enterprises_org_code_prefix"):
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute("DROP FUNCTION IF EXISTS enterprise_name_bigrams(text)")
        # pg_trgm stays: other objects of the database may use it.
