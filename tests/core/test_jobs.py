"""Jobs run inline without Redis and through a real rq worker with it."""
import os
import subprocess
import sys
from pathlib import Path

from rq.job import Job

from crm.jobs import enqueue, ping

ROOT = Path(__file__).resolve().parents[2]


def test_without_redis_the_job_runs_inline(app):
    result = enqueue(ping, 21)
    assert result.inline and result.job_id is None
    assert result.result == {"app": "crm", "db": 1, "x2": 42}


def test_job_runs_in_a_real_worker_process(app, redis_url, tmp_path):
    from redis import Redis

    app.config["REDIS_URL"] = redis_url
    try:
        queued = enqueue(ping, 21)
    finally:
        app.config["REDIS_URL"] = None
    assert not queued.inline and queued.job_id
    db_url = app.config["SQLALCHEMY_DATABASE_URI"]
    if db_url == "sqlite://":  # the worker is another process: give it a file
        db_url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    env = dict(os.environ, REDIS_URL=redis_url, DATABASE_URL=db_url)
    done = subprocess.run([sys.executable, str(ROOT / "worker.py"), "--burst"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    job = Job.fetch(queued.job_id, connection=Redis.from_url(redis_url))
    assert job.get_status() == "finished"
    assert job.return_value() == {"app": "crm", "db": 1, "x2": 42}
