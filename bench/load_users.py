"""Bounded load test: simulated users in realistic role mixes against a running server.

    python bench/load_users.py --base http://127.0.0.1:5098 --users 50 --seconds 60

Each simulated user signs in with its own cookie jar (the demo accounts, password
``crm-demo``; with ``--accounts FILE``, lines of ``role<TAB>username``, the users of a
role take that role's accounts in turn, so that 200 users are 200 people), then walks its role's pages with a think time (``--think``, 2–6 s by
default: a page every four seconds, brisker than people read) until the time is up;
leaders also ask for their portfolio packet once (rendered by a worker). Users arrive
over the first ``--ramp`` seconds (15 by default), as a morning's sign-ins do, rather
than in one burst of password hashing. Only the standard library is used. Prints
requests, errors (5xx, unexpected 4xx, network failures), median and p95 latency
overall, of the page views (without the sign-in and the packet request, which have no
page target) and per page, and exits 1 on any error.
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from http.cookiejar import CookieJar

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
LINK_RE = re.compile(r'href="(/(?:enterprises|problems|visits)/\d+)"')
# (role, demo account, share of the simulated users, pages walked)
MIX = [
    ("commissioner", "commissioner", 0.40, ["/visits/week", "/enterprises/", "/problems/",
                                            "/notifications", "DETAIL"]),
    ("leader", "leader", 0.20, ["/enterprises/mine", "/problems/leader", "/problems/",
                                "/meetings/", "/visits/", "DETAIL"]),
    ("handler", "handler", 0.20, ["/problems/inbox", "/problems/", "/notifications", "DETAIL"]),
    ("coordinator", "coordinator", 0.16, ["/meetings/overview", "/problems/triage",
                                          "/enterprises/", "/visits/", "/visits/coverage",
                                          "/meetings/", "DETAIL"]),
    ("admin", "admin", 0.04, ["/admin/users", "/admin/units", "/admin/audit"]),
]


# Requests that are not page views: the sign-in (a deliberately slow password hash) and
# the packet request (queues a PDF job).
NOT_PAGES = {"POST /login", "POST /briefings/portfolio"}


class Recorder:
    """Thread-safe latency and error log."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []

    def add(self, label: str, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.times[label].append(seconds)
            if error:
                self.errors.append(f"{label}: {error}")


def _label(path: str) -> str:
    return re.sub(r"/\d+", "/<id>", path.split("?")[0])


class SimUser(threading.Thread):
    """One person: sign in, then browse the role's pages until ``deadline``."""

    def __init__(self, base, role, account, pages, password, deadline, rec, seed,
                 think=(2.0, 6.0)):
        super().__init__(daemon=True)
        self.base, self.role, self.account, self.pages = base, role, account, pages
        self.password, self.deadline, self.rec = password, deadline, rec
        self.rng = random.Random(seed)
        self.think = think
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.details: list[str] = []

    def request(self, path: str, data: dict | None = None, expect=(200,)) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        start = time.perf_counter()
        error, text = None, ""
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as resp:
                text = resp.read().decode("utf-8", "replace")
                if resp.status not in expect:
                    error = f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
        except Exception as exc:  # noqa: BLE001 - every failure is an error to report
            error = f"{type(exc).__name__}: {exc}"
        self.rec.add(_label(path) if data is None else "POST " + _label(path),
                     time.perf_counter() - start, error)
        return text

    def run(self) -> None:
        page = self.request("/login")
        token = CSRF_RE.search(page).group(1) if CSRF_RE.search(page) else ""
        home = self.request("/login", {"csrf_token": token, "username": self.account,
                                       "password": self.password})
        self.details = LINK_RE.findall(home)
        if self.role == "leader":
            token = CSRF_RE.search(home).group(1) if CSRF_RE.search(home) else token
            self.request("/briefings/portfolio", {"csrf_token": token})
        while time.monotonic() < self.deadline:
            path = self.rng.choice(self.pages)
            if path == "DETAIL":
                if not self.details:
                    continue
                path = self.rng.choice(self.details)
            html = self.request(path)
            found = LINK_RE.findall(html)
            if found:
                self.details = found[:50]
            time.sleep(self.rng.uniform(*self.think))


def server_times(path: str) -> dict[str, list[float]]:
    """Seconds per page label from a gunicorn access log (method, path, status, µs)."""
    out: dict[str, list[float]] = defaultdict(list)
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            parts = line.split()
            if len(parts) != 4 or not parts[3].isdigit():
                continue
            method, path_, _status, micros = parts
            label = _label(path_) if method == "GET" else f"{method} {_label(path_)}"
            out[label].append(int(micros) / 1e6)
    return out


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))]


def main() -> int:
    """Run the load and print the report."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:5098")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--password", default="crm-demo")
    parser.add_argument("--accounts", help="file of role<TAB>username lines: sign in as "
                        "these people (in turn per role) instead of the demo accounts")
    parser.add_argument("--think", default="2,6", help="think time range in seconds: lo,hi")
    parser.add_argument("--ramp", type=float, default=15.0,
                        help="seconds over which the users arrive")
    parser.add_argument("--server-log", help="gunicorn access log written with "
                        "--access-logformat '%%(m)s %%(U)s %%(s)s %%(D)s': adds the "
                        "server's own time per page (comparable to the benchmark)")
    args = parser.parse_args()
    think = tuple(float(x) for x in args.think.split(","))
    if not args.base.startswith(("http://127.0.0.1", "http://localhost")):
        parser.error("the load test only runs against a local server")
    rec, deadline, users = Recorder(), time.monotonic() + args.seconds, []
    accounts = defaultdict(list)
    if args.accounts:
        with open(args.accounts, encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    role, username = line.rstrip("\n").split("\t")
                    accounts[role].append(username)
    for role, account, share, pages in MIX:
        for k in range(max(1, round(share * args.users))):
            mine = accounts.get(role) or [account]
            users.append(SimUser(args.base, role, mine[k % len(mine)], pages, args.password,
                                 deadline, rec, seed=len(users), think=think))
    users = users[:args.users]
    started = time.monotonic()
    for u in users:
        u.start()
        time.sleep(args.ramp / max(1, len(users)))
    for u in users:
        u.join(args.seconds + 60)
    elapsed = time.monotonic() - started
    every = [t for ts in rec.times.values() for t in ts]
    mix = ", ".join(f"{sum(1 for u in users if u.role == r)} {r}" for r, *_ in MIX)
    print(f"users: {len(users)} ({mix}); duration {elapsed:.0f} s; "
          f"{len({u.account for u in users})} different accounts")
    print(f"requests: {len(every)} ({len(every) / elapsed:.1f}/s); errors: {len(rec.errors)}")
    print(f"latency: median {statistics.median(every) * 1000:.0f} ms, "
          f"p95 {percentile(every, 95) * 1000:.0f} ms, max {max(every) * 1000:.0f} ms")
    views = [t for label, ts in rec.times.items() if label not in NOT_PAGES for t in ts]
    if views:
        print(f"page views: {len(views)}; median {statistics.median(views) * 1000:.0f} ms, "
              f"p95 {percentile(views, 95) * 1000:.0f} ms")
    print(f"think time {think[0]:g}–{think[1]:g} s, arrivals over {args.ramp:g} s")
    server = server_times(args.server_log) if args.server_log else {}
    if server:
        views = [t for label, ts in server.items() if label not in NOT_PAGES for t in ts]
        print(f"server time of page views: median {statistics.median(views) * 1000:.0f} ms, "
              f"p95 {percentile(views, 95) * 1000:.0f} ms")
    print(f"{'page':40} {'n':>6} {'median ms':>10} {'p95 ms':>8}"
          + (f" {'server p95':>11}" if server else ""))
    for label, ts in sorted(rec.times.items(), key=lambda kv: -percentile(kv[1], 95)):
        extra = (f" {percentile(server[label], 95) * 1000:>11.0f}"
                 if server.get(label) else "")
        print(f"{label:40} {len(ts):>6} {statistics.median(ts) * 1000:>10.0f} "
              f"{percentile(ts, 95) * 1000:>8.0f}" + extra)
    for line in rec.errors[:20]:
        print("ERROR", line)
    return 1 if rec.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
