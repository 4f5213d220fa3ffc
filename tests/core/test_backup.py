"""``flask crm backup`` and ``flask crm restore`` round-trip the SQLite database."""
from sqlalchemy import func, select

from crm import create_app
from crm.config import TestConfig
from crm.demo import populate
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
        before = _counts()
        assert before["enterprises"] == 120 and before["issues"] > 100
    result = runner.invoke(args=["crm", "backup", str(tmp_path / "snap.sqlite3")])
    assert result.exit_code == 0, result.output
    with app.app_context():  # damage the live data after the backup
        db.session.execute(db.text("DELETE FROM issue_events"))
        db.session.execute(db.text("DELETE FROM visit_policies"))
        db.session.commit()
        assert _counts()["issue_events"] == 0
        db.session.remove()
    result = runner.invoke(args=["crm", "restore", "--yes", str(tmp_path / "snap.sqlite3")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _counts() == before
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
