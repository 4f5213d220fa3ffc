"""Where a page's time goes: ``python bench/profile_page.py ROLE URL [N]``.

Against ``DATABASE_URL`` (a seeded benchmark database), signed in as the demo user of
ROLE, requests URL N times (default 5) and prints the slowest SQL statements with their
time and the top functions of a cProfile of the last request. A tool for working on
the benchmark's rows, not part of it.
"""
from __future__ import annotations

import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import event  # noqa: E402

from crm import create_app  # noqa: E402
from crm.extensions import db  # noqa: E402
from pages import _client  # noqa: E402


def main() -> None:
    role, url = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    app = create_app()
    client = _client(app, role)
    stmts: list[tuple[float, str]] = []
    started: dict = {}

    def before(conn, cursor, statement, params, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, params, context, executemany):
        stmts.append(((time.perf_counter() - started.pop(id(cursor), 0)) * 1000, statement))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
    for i in range(n):
        stmts.clear()
        t0 = time.perf_counter()
        if i == n - 1:
            prof = cProfile.Profile()
            prof.enable()
        response = client.get(url)
        total = (time.perf_counter() - t0) * 1000
        print(f"#{i} {response.status_code} {total:.1f} ms, {len(stmts)} statements, "
              f"SQL {sum(t for t, _ in stmts):.1f} ms")
    prof.disable()
    for ms, sql in sorted(stmts, reverse=True)[:8]:
        print(f"  {ms:7.1f} ms  {' '.join(sql.split())[:300]}")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
