"""A serving process freezes its start-up heap (crm.ready_for_requests, crm.wsgi)."""
import gc
import subprocess
import sys

from crm import ready_for_requests


def test_ready_for_requests_freezes_what_is_alive(app):
    before = gc.get_freeze_count()
    try:
        assert ready_for_requests(app) is app
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_the_wsgi_module_serves_a_frozen_app(tmp_path):
    code = ("import gc, crm.wsgi as w; c = w.app.test_client(); "
            "print(type(w.app).__name__, gc.get_freeze_count() > 100000, "
            "c.get('/healthz').status_code)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite3'}",
                               "SECRET_KEY": "t", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[:2] == ["Flask", "True"]
