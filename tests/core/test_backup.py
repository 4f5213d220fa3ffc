"""``flask crm backup`` and ``flask crm restore`` round-trip the SQLite database."""
import hashlib

from sqlalchemy import func, select

from crm import create_app
from crm.config import TestConfig
from crm.seed.county import populate
from crm.extensions import db


def _counts():
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def test_backup_and_restore_round_trip(tmp_path):
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'live.sqlite3'}"

    app = create_app(Cfg)
    runner = app.test_cli_runner()
    with app.app_context():
        db.create_all()
        populate()
        db.session.commit()
        # A generated packet must come back byte for byte (its sha256 is archived).
        from crm.auth.models import User
        from crm.meetings.packets import job, versions
        from crm.meetings.models import Briefing

        leader = db.session.scalar(select(User).where(User.username == "leader"))
        packet = versions.request_briefing("portfolio", leader, leader=leader)
        db.session.commit()
        assert job.dispatch(packet.id) == "inline"
        db.session.expire_all()
        packet = db.session.get(Briefing, packet.id)
        assert packet.state == "success"
        packet_id, digest = packet.id, packet.sha256
        assert hashlib.sha256(packet.pdf).hexdigest() == digest
        before = _counts()
        assert before["enterprises"] == 120 and before["issues"] > 100
    result = runner.invoke(args=["crm", "backup", str(tmp_path / "snap.sqlite3")])
    assert result.exit_code == 0, result.output
    with app.app_context():  # damage the live data after the backup
        db.session.execute(db.text("DELETE FROM issue_events"))
        db.session.execute(db.text("DELETE FROM visit_policies"))
        db.session.execute(db.text("DELETE FROM briefings"))
        db.session.commit()
        assert _counts()["issue_events"] == 0
        db.session.remove()
    result = runner.invoke(args=["crm", "restore", "--yes", str(tmp_path / "snap.sqlite3")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _counts() == before
        restored = db.session.get(Briefing, packet_id)
        assert restored.sha256 == digest
        assert hashlib.sha256(restored.pdf).hexdigest() == digest
        db.session.remove()
        db.engine.dispose()


def test_backup_refuses_postgresql_and_bad_files(tmp_path):
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql://postgres@127.0.0.1/none"

    runner = create_app(Cfg).test_cli_runner()
    result = runner.invoke(args=["crm", "backup", str(tmp_path / "x.sqlite3")])
    assert result.exit_code != 0 and "pg_dump" in result.output

    class Lite(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'live.sqlite3'}"

    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = create_app(Lite).test_cli_runner().invoke(args=["crm", "restore", "--yes", str(junk)])
    assert result.exit_code == 1 and "not an SQLite database" in result.output
