"""Uploads are kept in the database, never as files under ``static/`` (or anywhere the
web server would hand them out), and a disguised file is refused by its content."""
from __future__ import annotations

import io
import os
from pathlib import Path

from sqlalchemy import func, select

from crm.extensions import db
from crm.liaisons.models import VisitPhoto
from tests.liaisons.conftest import county, image_bytes  # noqa: F401 - fixture
from tests.liaisons.test_photos import _post_with_photos

ROOT = Path(__file__).resolve().parents[2]


def _files_under(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*") if p.is_file()}


def test_uploaded_photos_and_imports_leave_no_file_on_disk(app, county, client, login_as):  # noqa: F811
    """A photo and an import are stored as rows; static/ and instance/ are unchanged."""
    watched = [Path(app.static_folder), ROOT / "instance"]
    before = {str(d): _files_under(d) for d in watched if d.exists()}
    login_as(county.com)
    response = _post_with_photos(client, county, [(image_bytes(), "a.jpg")])
    assert response.get_json()["ok"]
    assert db.session.scalar(select(func.count()).select_from(VisitPhoto)) == 1
    client.post_form("/logout")
    login_as(county.coord)
    client.post_form("/enterprises/import", {"file": (io.BytesIO(
        "企业名称,统一社会信用代码\n新企业,91350100M00000001X\n".encode("utf-8")), "a.csv")},
        content_type="multipart/form-data")
    after = {str(d): _files_under(d) for d in watched if d.exists()}
    assert after == before


def test_a_script_disguised_as_a_photo_is_refused_by_its_content(app, county, client,  # noqa: F811
                                                                 login_as):
    """The name says .jpg, the bytes are HTML: refused next to the field, nothing stored."""
    login_as(county.com)
    response = _post_with_photos(client, county, [
        (b"<html><script>alert(1)</script></html>", "photo.jpg")])
    body = response.get_json()
    assert not body["ok"] and "photos" in str(body), body
    assert db.session.scalar(select(func.count()).select_from(VisitPhoto)) == 0
    assert os.sep + "static" + os.sep not in str(body)
