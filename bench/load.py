"""Throughput of visit submits through gunicorn (sync workers) on 127.0.0.1 only.

A bounded loop: ``threads`` clients, each signed in as the demo commissioner, send
``per_thread`` visit submissions to one enterprise; the result is submits per second
and the latency percentiles seen by the clients.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def _token(opener, url) -> str:
    html = opener.open(url).read().decode()
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _post(opener, url, data, headers=None):
    req = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(),
                                 headers=headers or {})
    return opener.open(req)


def run(database_url: str, enterprise_id: int, workers: int = 3, threads: int = 4,
        per_thread: int = 50) -> dict:
    """Start gunicorn, submit ``threads × per_thread`` visits, stop it; return the figures."""
    from crm.core.timeutil import local_today

    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="bench-secret",
               RATELIMIT_ENABLED="false")
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null", "crm.wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        latencies, errors, lock = [], [], threading.Lock()

        def client():
            opener = _opener()
            tok = _token(opener, base + "/login")
            _post(opener, base + "/login", {"csrf_token": tok, "username": "commissioner",
                                            "password": "crm-demo"})
            tok = _token(opener, f"{base}/visits/new/{enterprise_id}")
            start.wait()
            for _ in range(per_thread):
                t0 = time.perf_counter()
                try:
                    _post(opener, f"{base}/visits/new/{enterprise_id}", {
                        "csrf_token": tok, "client_uuid": str(uuid.uuid4()),
                        "visit_date": local_today().isoformat(), "mode": "onsite",
                        "status_seen": "normal", "summary": "走访了解生产经营情况",
                        "same_day": "separate"},  # each submit a visit of its own
                        {"X-Requested-With": "fetch"}).read()
                    with lock:
                        latencies.append((time.perf_counter() - t0) * 1000)
                except Exception as exc:  # noqa: BLE001  (counted, reported)
                    with lock:
                        errors.append(repr(exc)[:200])

        start = threading.Event()
        pool = [threading.Thread(target=client) for _ in range(threads)]
        for t in pool:
            t.start()
        time.sleep(1.0)
        t0 = time.perf_counter()
        start.set()
        for t in pool:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    lat = sorted(latencies)
    return dict(workers=workers, threads=threads, submits=len(lat), errors=len(errors),
                first_error=errors[0] if errors else None,
                per_second=round(len(lat) / wall, 1) if wall else 0,
                p50_ms=round(statistics.median(lat), 1) if lat else None,
                p95_ms=round(lat[int(0.95 * (len(lat) - 1))], 1) if lat else None)


if __name__ == "__main__":
    print(run(sys.argv[1], int(sys.argv[2])))
