"""Packets: rendered by WeasyPrint, stored with sha256 and page count, failures recorded,
retries work, final versions never change, and a real rq worker builds them."""
import hashlib
import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from crm.core.timeutil import local_today, utcnow
from crm.extensions import db
from crm.meetings.packets import versions
from crm.meetings.packets.render import StaticOnlyFetcher
from crm.meetings.models import Briefing
from crm.meetings.packets import job
from crm.meetings.packets.job import build_briefing
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def _leader_with_portfolio():
    leader = factories.user(roles=["leader"], display_name="刘建国", title="副市长")
    commissioner = factories.user(roles=["commissioner"], display_name="王小明")
    unit = factories.unit("人力资源和社会保障局")
    ents = []
    for i, name in enumerate(["兴发制管有限公司", "青山绿色食品有限公司"]):
        ent = factories.enterprise(name=name)
        factories.contact(ent, name="赵经理", phone="13800000001")
        factories.assignment(ent, leader, "leader_a")
        factories.assignment(ent, commissioner, "commissioner")
        factories.visit(ent, commissioner, local_today() - timedelta(days=3 + i),
                        summary="了解用工需求")
        ents.append(ent)
    factories.issue(ents[0], commissioner, state="in_progress", title="技术工人缺口 40 人",
                    lead_unit_id=unit.id, due_at=utcnow() - timedelta(days=2),
                    warn_at=utcnow() - timedelta(days=4))
    db.session.commit()
    return leader, ents


def _text(pdf: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(p.extract_text() for p in reader.pages), len(reader.pages)


def test_portfolio_packet_renders_inline_with_chinese_text(app):
    leader, ents = _leader_with_portfolio()
    b = versions.request_briefing("portfolio", leader, leader=leader)
    db.session.commit()
    assert job.dispatch(b.id) == "inline"
    db.session.expire_all()
    b = db.session.get(Briefing, b.id)
    assert b.state == "success" and b.error is None
    assert b.sha256 == hashlib.sha256(b.pdf).hexdigest() and b.size == len(b.pdf)
    text, pages = _text(b.pdf)
    assert b.pages == pages and pages >= 4  # cover, contents, overview, one per enterprise
    assert "刘建国" in text and "兴发制管有限公司" in text and "青山绿色食品有限公司" in text
    assert "技术工人缺口 40 人" in text and "超期" in text
    assert f"第 1 页 共 {pages} 页" not in text  # the cover has no footer
    assert f"第 2 页 共 {pages} 页" in text


def test_cjk_font_is_embedded(app, tmp_path):
    leader, _ents = _leader_with_portfolio()
    b = versions.request_briefing("portfolio", leader, leader=leader)
    db.session.commit()
    job.dispatch(b.id)
    db.session.expire_all()
    path = tmp_path / "p.pdf"
    path.write_bytes(db.session.get(Briefing, b.id).pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    cjk = [line for line in out.stdout.splitlines() if "Noto-Sans-CJK-SC" in line]
    assert cjk and all(" yes " in line for line in cjk)  # embedded (emb column)


def test_toc_page_numbers_match_the_pages(app):
    leader, ents = _leader_with_portfolio()
    b = versions.request_briefing("portfolio", leader, leader=leader)
    db.session.commit()
    job.dispatch(b.id)
    db.session.expire_all()
    reader = PdfReader(io.BytesIO(db.session.get(Briefing, b.id).pdf))
    texts = [page.extract_text() for page in reader.pages]
    toc_lines = texts[1].splitlines()
    for ent in ents:
        starts = [n for n, text in enumerate(texts, start=1) if text.startswith(ent.name)]
        assert len(starts) == 1, (ent.name, starts)
        line = next(line for line in toc_lines if line.startswith(ent.name))
        assert line.rstrip(". ").endswith(str(starts[0])), (line, starts)


def test_failure_is_recorded_and_retry_succeeds(app, monkeypatch):
    leader, _ = _leader_with_portfolio()
    b = versions.request_briefing("portfolio", leader, leader=leader)
    db.session.commit()

    def broken(_briefing):
        raise RuntimeError("字体加载失败")

    monkeypatch.setattr("crm.meetings.packets.render.render_briefing", broken)
    with pytest.raises(RuntimeError):
        build_briefing(b.id)
    db.session.expire_all()
    b = db.session.get(Briefing, b.id)
    assert b.state == "failed" and "字体加载失败" in b.error and b.pdf is None
    monkeypatch.undo()
    versions.retry(b, leader)
    db.session.commit()
    assert job.dispatch(b.id) == "inline"
    db.session.expire_all()
    assert db.session.get(Briefing, b.id).state == "success"


def test_new_request_makes_a_new_version_and_final_stays(app):
    leader, _ = _leader_with_portfolio()
    first = versions.request_briefing("portfolio", leader, leader=leader)
    db.session.commit()
    job.dispatch(first.id)
    db.session.expire_all()
    first = db.session.get(Briefing, first.id)
    versions.mark_final(first, leader)
    db.session.commit()
    digest = first.sha256
    second = versions.request_briefing("portfolio", leader, leader=leader)
    db.session.commit()
    job.dispatch(second.id)
    db.session.expire_all()
    rows = db.session.scalars(select(Briefing).order_by(Briefing.version)).all()
    assert [(r.version, r.state, r.is_final) for r in rows] == [(1, "success", True),
                                                               (2, "success", False)]
    assert rows[0].sha256 == digest
    with pytest.raises(versions.BriefingError):
        versions.retry(rows[0], leader)


def test_worker_that_died_mid_job_is_reaped(app):
    leader, _ = _leader_with_portfolio()
    b = versions.request_briefing("portfolio", leader, leader=leader)
    b.state = "running"
    b.started_at = utcnow() - timedelta(seconds=app.config["JOB_TIMEOUT"] + 120)
    db.session.commit()
    assert versions.reap_stale() == 1
    db.session.commit()
    b = db.session.get(Briefing, b.id)
    assert b.state == "failed" and "重试" in b.error and b.pdf is None


def test_fetcher_serves_static_files_only(app):
    fetcher = StaticOnlyFetcher(app.static_folder)
    ok = fetcher.fetch("http://crm.invalid/static/briefing.css")
    assert b"@page" in ok.read()
    for url in ("http://crm.invalid/static/../../crm/config.py", "http://example.com/x.css",
                "file:///etc/passwd", "http://crm.invalid/etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_packet_is_built_by_a_real_rq_worker(pg_app, redis_url):
    """On PostgreSQL: the worker is another process and must see the committed row."""
    from redis import Redis
    from rq.job import Job

    app = pg_app
    leader, _ = _leader_with_portfolio()
    b = versions.request_briefing("portfolio", leader, leader=leader)
    db.session.commit()
    app.config["REDIS_URL"] = redis_url
    try:
        assert job.dispatch(b.id) == "queued"
    finally:
        app.config["REDIS_URL"] = None
    db.session.expire_all()
    job_id = db.session.get(Briefing, b.id).job_id
    assert db.session.get(Briefing, b.id).state == "pending" and job_id
    env = dict(os.environ, REDIS_URL=redis_url, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    done = subprocess.run([sys.executable, str(ROOT / "worker.py"), "--burst"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    db.session.expire_all()
    b = db.session.get(Briefing, b.id)
    assert b.state == "success" and b.pages >= 4
    assert Job.fetch(job_id, connection=Redis.from_url(redis_url)).get_status() == "finished"
