"""Time the enterprise import: a generated 5,000-row .xlsx, preview then commit.

    python bench/import_bench.py                 # SQLite (a temporary file)
    DATABASE_URL=postgresql://… python bench/import_bench.py   # and PostgreSQL

On PostgreSQL everything happens in a throw-away schema (``bench_import_<pid>``) that
is dropped at the end, so the database's own tables are never touched. Each run
prints the seconds for: building the file, the preview (read + keep the batch +
validate every row) and the commit (re-validate + write + COMMIT) of 5,000 new
enterprises with a contact and three 包联 people each, and then the same for
re-importing the file with every row changed (5,000 updates).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook  # noqa: E402
from sqlalchemy import text  # noqa: E402

from crm import create_app  # noqa: E402
from crm.config import TestConfig  # noqa: E402
from crm.enterprises import columns as cols  # noqa: E402
from crm.enterprises import credit_code, importer  # noqa: E402
from crm.extensions import db  # noqa: E402

CLUSTERS = ["先进制造", "绿色食品", "军民融合", "新材料"]
WORDS = "兴发宏达绿源天成华强安康博远永泰鑫盛恒通金山银河东方南岭"


def build_xlsx(rows: int, employees_offset: int = 0) -> bytes:
    """A workbook in the template's format with ``rows`` enterprises."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("企业名单")
    keys = [c.key for c in cols.COLUMNS]
    sheet.append([cols.zh(c.label) for c in cols.COLUMNS])
    for i in range(rows):
        name = WORDS[i % 20] + WORDS[(i // 20) % 20] + f"制造{i}有限公司"
        values = {
            "name": name, "credit_code": credit_code.make(f"91350100M{i:08d}"),
            "legal_rep": f"法人{i}", "industry": "C 制造业", "cluster": CLUSTERS[i % 4],
            "is_chain_leader": "是" if i % 50 == 0 else "否",
            "scale": "规上" if i % 3 else "规下", "size": "小型", "ownership": "民营",
            "town": f"镇{i % 12}", "park": "高新区", "address": f"工业路{i}号",
            "employees": 20 + i % 500 + employees_offset, "annual_output": 1000 + i,
            "status": "正常生产", "tags": "专精特新" if i % 7 == 0 else "",
            "contact_name": f"联系人{i}", "contact_title": "办公室主任",
            "contact_phone": f"139{i:08d}", "leader_a": f"leader{i % 20}",
            "leader_b": f"leader{(i + 1) % 20}", "commissioners": f"com{i % 60}",
        }
        sheet.append([values[k] for k in keys])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@contextmanager
def timed(label: str, results: dict):
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start
    print(f"  {label:<34} {results[label]:7.2f} s", flush=True)


def seed():
    """Towns, leaders, commissioners and the coordinator who imports."""
    from crm.auth.models import Unit, User

    for n in range(12):
        db.session.add(Unit(name=f"镇{n}", kind="town"))
    hashed = User()
    hashed.set_password("bench-pass-1")
    people = [("leader", f"leader{n}") for n in range(20)] + \
        [("commissioner", f"com{n}") for n in range(60)] + [("coordinator", "coordinator")]
    actor = None
    for role, username in people:
        user = User(username=username, display_name=username, password_hash=hashed.password_hash)
        user.roles = [role]
        db.session.add(user)
        actor = user if role == "coordinator" else actor
    db.session.commit()
    return actor


def run_once(actor, data: bytes, label: str, results: dict, expect: str) -> None:
    with timed(f"{label}: preview", results):
        table = importer.read_table("bench.xlsx", data)
        batch = importer.create_batch("bench.xlsx", data, table, actor)
        db.session.commit()
        plan = importer.plan(batch)
    assert plan.ok, plan.errors[:5]
    assert plan.count(expect) == len(table.rows), (expect, plan.count(expect))
    with timed(f"{label}: confirm and commit", results):
        _plan, result = importer.apply(db.session.get(type(batch), batch.id), actor)
        db.session.commit()
    print(f"  → {result}")


def bench(url: str, rows: int, schema: str | None = None) -> dict:
    """Run the import twice (creates, then updates) against ``url``."""
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = (
            {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {})

    app = create_app(Cfg)
    results: dict = {}
    with app.app_context():
        if schema:
            with db.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            db.create_all()
            actor = seed()
            with timed("build the 5,000-row file", results):
                first, second = build_xlsx(rows), build_xlsx(rows, employees_offset=1)
            print(f"  (file size {len(first) / 1024:.0f} KiB)")
            run_once(actor, first, "new enterprises", results, "create")
            run_once(actor, second, "every row changed", results, "update")
        finally:
            db.session.remove()
            if schema:
                with db.engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            db.engine.dispose()
    return results


def main(argv=None) -> int:
    """Run on SQLite and, with DATABASE_URL, on PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite, {args.rows} rows")
        bench(f"sqlite:///{tmp}/bench.sqlite3", args.rows)
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith(("postgres://", "postgresql")):
        print(f"PostgreSQL, {args.rows} rows")
        bench(url, args.rows, schema=f"bench_import_{os.getpid()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
