"""The documented deployment works: the wheel built from the checkout, installed
outside it, carries its templates, migrations, compiled translations and static files —
``flask db upgrade`` builds the schema and ``/login`` answers in Chinese."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SERVE_LOGIN = """
import crm, sys
assert crm.__file__.startswith(sys.argv[1]), crm.__file__   # the installed copy, not the checkout
app = crm.create_app()
r = app.test_client().get("/login", headers={"Accept-Language": "zh-CN"})
print(r.status_code)
print(r.get_data(as_text=True))
r = app.test_client().get("/static/app.css")
print("static", r.status_code)
"""


def _run(args, cwd, env):
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout


def test_wheel_installed_outside_the_checkout_upgrades_and_serves_login(tmp_path):
    dist, site, work = tmp_path / "dist", tmp_path / "site", tmp_path / "srv"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", str(dist), str(ROOT)], cwd=tmp_path, env=env)
    wheel = next(dist.glob("crm-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "crm/templates/base.html" in names and "crm/templates/auth/login.html" in names
    assert "crm/migrations/env.py" in names
    assert any(n.startswith("crm/migrations/versions/") for n in names)
    assert "crm/translations/zh_Hans_CN/LC_MESSAGES/messages.mo" in names
    assert "crm/static/app.css" in names

    _run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
          str(wheel)], cwd=tmp_path, env=env)
    env.update(PYTHONPATH=str(site), FLASK_APP="crm",
               DATABASE_URL=f"sqlite:///{work / 'crm.sqlite3'}", SECRET_KEY="x" * 40)
    # The README's deployment steps, from a directory that is not the checkout.
    _run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=work, env=env)
    _run([sys.executable, "-m", "flask", "crm", "seed-reference"], cwd=work, env=env)
    out = _run([sys.executable, "-c", SERVE_LOGIN, str(site)], cwd=work, env=env)
    status, _, rest = out.partition("\n")
    assert status == "200"
    assert "登录" in rest and "用户名" in rest and "密码" in rest
    assert "static 200" in rest


def test_a_web_process_does_not_load_weasyprint():
    """Building the app (what gunicorn does) leaves WeasyPrint unloaded: only the
    worker renders PDFs, and its import costs about two seconds per web process."""
    code = ("import sys; from crm import create_app; create_app(); "
            "print('weasyprint' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout + out.stderr
