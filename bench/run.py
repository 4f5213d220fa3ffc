"""The benchmark: ``make bench`` (``BENCH_SCALE=county|province|henan|county-large``;
``henan`` runs on PostgreSQL only).

For each database — a SQLite file, and PostgreSQL when ``BENCH_DATABASE_URL`` is set or
a local server answers at postgresql://postgres@127.0.0.1 — it makes sure a database
seeded at the scale exists (``flask crm seed``; reused when already seeded, keyed by
scale), then measures:

* p50/p95 of warm requests and SQL queries per page, per role (``bench/pages.py``);
* the monthly packet: the app's render against WeasyPrint alone on the same HTML, and
  the worker's peak RSS (``bench/packet.py`` in a child process);
* the Excel import of 5,000 rows (``bench/import_bench.py``);
* on PostgreSQL, visit submits per second through gunicorn (``bench/load.py``).

It prints a table and writes ``bench/results/<scale>-<date>.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# p95 as a multiple of the floor page's p95 in the same run (issue 19); the month
# overview after a write or with nothing cached recomputes figures: 6×.
TARGETS_X = {
    "coordinator: month overview (after": 6, "coordinator: month overview (nothing": 6,
}
DEFAULT_TARGET_X = 3
PG_ONLY = {"henan"}  # scales seeded on PostgreSQL only (crm.seed.POSTGRESQL_ONLY)
MAX_QUERIES = 12


def _pg_url(scale: str) -> str | None:
    """BENCH_DATABASE_URL, or a database crm_bench_<scale> on the local server."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1/postgres", autocommit=True,
                             connect_timeout=3) as conn:
            name = f"crm_bench_{scale.replace('-', '_')}"
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1/{name}"
    except Exception as exc:  # noqa: BLE001  (no local PostgreSQL: SQLite only)
        print(f"PostgreSQL skipped: {exc}")
        return None


def _flask(url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, FLASK_APP="crm", DATABASE_URL=url)
    env.pop("REDIS_URL", None)
    return subprocess.run([str(ROOT / ".venv/bin/flask"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)


def ensure_seeded(url: str, scale: str) -> float | None:
    """Upgrade ``url`` and seed it unless it holds enterprises already; seconds or None."""
    from sqlalchemy import create_engine, inspect, text

    from crm import _normalise_db_url

    engine = create_engine(_normalise_db_url(url))
    with engine.connect() as conn:
        seeded = inspect(conn).has_table("enterprises") and conn.execute(
            text("SELECT count(*) FROM enterprises")).scalar()
    engine.dispose()
    # A reused database is brought to the code's schema first (a migration may have
    # been added since it was seeded).
    done = _flask(url, "db", "upgrade")
    assert done.returncode == 0, done.stderr[-2000:]
    if seeded:
        print(f"  reusing the seeded database ({url})")
        return None
    t0 = time.perf_counter()
    done = _flask(url, "crm", "seed", "--scale", scale)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    seconds = time.perf_counter() - t0
    print(f"  seeded {scale} in {seconds:.0f} s")
    return round(seconds, 1)


def _app(url: str):
    from crm import create_app, ready_for_requests
    from crm.config import Config

    class Cfg(Config):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = None
        WTF_CSRF_ENABLED = True
        RATELIMIT_ENABLED = False
        RATELIMIT_STORAGE_URI = "memory://"

    import pages

    app = create_app(Cfg)
    pages.register_floor(app)
    return ready_for_requests(app)  # as crm.wsgi does for gunicorn


def bench_database(kind: str, url: str, scale: str, repeat: int, skip: set) -> dict:
    """Every measurement against one database."""
    import pages

    print(f"\n== {kind}: {url}")
    out: dict = {"database": kind, "seed_s": ensure_seeded(url, scale)}
    app = _app(url)
    out["pages"] = pages.time_pages(app, repeat=repeat)
    if "packet" not in skip:
        limit = int(os.environ.get("BENCH_PACKET_TIMEOUT", "300"))
        try:
            done = subprocess.run([sys.executable, str(ROOT / "bench/packet.py"), url],
                                  capture_output=True, text=True, cwd=ROOT, timeout=limit)
            out["packet"] = json.loads(done.stdout.strip().splitlines()[-1]) \
                if done.returncode == 0 else {"error": done.stderr[-500:]}
        except subprocess.TimeoutExpired:
            out["packet"] = {"error": f"not finished after {limit} s"}
        print(f"  packet: {out['packet']}")
        # The other meeting papers (issue 15), each in a child process of its own.
        out["packets"] = {"joint": out["packet"]}
        for kind in ("review", "minutes"):
            try:
                done = subprocess.run([sys.executable, str(ROOT / "bench/packet.py"), url,
                                       kind], capture_output=True, text=True, cwd=ROOT,
                                      timeout=limit)
                out["packets"][kind] = json.loads(done.stdout.strip().splitlines()[-1]) \
                    if done.returncode == 0 else {"error": done.stderr[-500:]}
            except subprocess.TimeoutExpired:
                out["packets"][kind] = {"error": f"not finished after {limit} s"}
            print(f"  packet ({kind}): {out['packets'][kind]}")
    if "import" not in skip:
        import import_bench

        if kind == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                out["import_5000"] = import_bench.bench(f"sqlite:///{tmp}/imp.sqlite3", 5000)
        else:
            out["import_5000"] = import_bench.bench(url, 5000,
                                                    schema=f"bench_import_{os.getpid()}")
    if kind == "postgresql" and "load" not in skip:
        import load

        with app.app_context():
            ent = pages.subjects()["ent"]
        out["gunicorn_visit_submits"] = load.run(url, ent)
        print(f"  gunicorn: {out['gunicorn_visit_submits']}")
    return out


def table(results: list[dict]) -> str:
    """The Markdown table of pages (p50 / p95, SQL and × floor per database) and the
    other figures."""
    from pages import FLOOR

    kinds = [r["database"] for r in results]
    head = "| page | " + " | ".join(f"{k} p50 / p95 ms | {k} SQL | {k} × floor" for k in kinds) \
        + " | target p95 |"
    lines = [head, "|" + "---|" * (2 + 3 * len(kinds))]
    floors = {r["database"]: next((p["p95_ms"] for p in r["pages"] if p["page"] == FLOOR), None)
              for r in results}
    labels = [p["page"] for p in results[0]["pages"]]
    for label in labels:
        target = next((v for k, v in TARGETS_X.items() if label.startswith(k)),
                      DEFAULT_TARGET_X)
        cells, miss = [], False
        for r in results:
            p = next((x for x in r["pages"] if x["page"] == label), None)
            if p is None:
                cells.append("– | – | –")
                continue
            floor = floors[r["database"]]
            times = p["p95_ms"] / floor if floor else None
            miss |= (times is not None and times > target and label != FLOOR) \
                or p["queries"] > MAX_QUERIES or p["status"] >= 400
            cells.append(f"{p['p50_ms']:.1f} / {p['p95_ms']:.1f} | {p['queries']} | "
                         + (f"{times:.1f}" if times is not None else "–"))
        goal = "floor" if label == FLOOR else f"≤ {target}× floor"
        lines.append(f"| {label} | " + " | ".join(cells) +
                     f" | {goal}{' **missed**' if miss else ''} |")
    extra = []
    for r in results:
        k = r["database"]
        extra.append(f"- {k}: measured {r.get('date', '?')}")
        if r.get("seed_s"):
            extra.append(f"- {k}: seed {r['seed_s']} s")
        if "packet" in r:
            extra.append(f"- {k}: monthly packet {r['packet']}")
        for kind, result in (r.get("packets") or {}).items():
            if kind != "joint":
                extra.append(f"- {k}: {kind} packet {result}")
        if "import_5000" in r:
            extra.append(f"- {k}: import of 5,000 rows (s) {r['import_5000']}")
        if "gunicorn_visit_submits" in r:
            extra.append(f"- {k}: visit submits through gunicorn {r['gunicorn_visit_submits']}")
    return "\n".join(lines + [""] + extra)


def main(argv=None) -> int:
    """Run the benchmark at ``--scale`` on every reachable database."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default=os.environ.get("BENCH_SCALE", "county"),
                        choices=["county", "province", "henan", "county-large", "tiny"])
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 20)))
    parser.add_argument("--skip", default=os.environ.get("BENCH_SKIP", ""),
                        help="comma-separated: packet, import, load")
    parser.add_argument("--only", dest="only", default=os.environ.get("BENCH_ONLY") or None,
                        choices=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    skip = {s for s in args.skip.split(",") if s}
    if args.scale in PG_ONLY:
        if args.only == "sqlite":
            parser.error(f"--scale {args.scale} runs on PostgreSQL only")
        print(f"{args.scale} scale: PostgreSQL only (SQLite is not meant to carry it)")
        args.only = "postgresql"
    dbs = []
    if args.only in (None, "sqlite"):
        path = os.environ.get("BENCH_SQLITE_PATH", f"/tmp/crm_bench_{args.scale}.sqlite3")
        dbs.append(("sqlite", f"sqlite:///{path}"))
    if args.only in (None, "postgresql"):
        url = _pg_url(args.scale)
        if url:
            dbs.append(("postgresql", url))
    outdir = ROOT / "bench" / "results"
    outdir.mkdir(exist_ok=True)
    for kind, url in dbs:  # each database's figures are kept as soon as they exist
        result = bench_database(kind, url, args.scale, args.repeat, skip)
        result["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        (outdir / f"{args.scale}-{kind}.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=1))
    # The table shows the latest figures of every database at this scale (a run with
    # --only keeps the other database's last ones).
    results = [json.loads((outdir / f"{args.scale}-{k}.json").read_text())
               for k in ("sqlite", "postgresql") if (outdir / f"{args.scale}-{k}.json").exists()]
    meta = {"scale": args.scale, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{os.cpu_count()} cores, "
                       f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f}"
                       f" GiB, {platform.platform()}", "repeat": args.repeat}
    text = table(results)
    print(f"\n{meta['scale']} scale, {meta['date']}, {meta['machine']}\n\n{text}")
    out = outdir / f"{args.scale}.json"
    out.write_text(json.dumps({**meta, "results": results, "table": text},
                              ensure_ascii=False, indent=1))
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
