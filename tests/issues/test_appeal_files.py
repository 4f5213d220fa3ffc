"""Files of evidence on an appeal (申诉): the unit attaches up to three photos or PDFs
(size-limited, photos re-encoded without metadata); the coordinator sees and downloads
them when deciding; only those who may see the appeal download them."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from crm.extensions import db
from crm.issues.appeals import MAX_FILE_BYTES, Appeal, AppealFile
from tests import factories
from tests.issues.test_appeals import _rated

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _html(r) -> str:
    return r.get_data(as_text=True)


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (60, 40), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make: metadata that must not be kept
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _file(data: bytes, name: str):
    return (io.BytesIO(data), name)


@pytest.mark.now("2026-11-25 10:00")
def test_the_unit_attaches_files_and_the_coordinator_downloads_them(app, client, login_as,
                                                                     world):
    w = world
    low = _rated(w, 1, "招工")
    db.session.commit()
    login_as(w.handler)
    form = _html(client.get(f"/problems/{low.id}/appeal"))
    assert 'enctype="multipart/form-data"' in form and "证据文件" in form
    r = client.post_form(f"/problems/{low.id}/appeal", {
        "reason": "企业要求超出政策范围", "evidence": "通话录音与书面答复",
        "files": [_file(jpeg_with_exif(), "签收单.jpg"), _file(PDF, "书面答复.pdf")]},
        content_type="multipart/form-data")
    assert r.status_code == 302, _html(r)
    appeal = db.session.scalar(select(Appeal))
    files = db.session.scalars(select(AppealFile).order_by(AppealFile.id)).all()
    assert [(f.name, f.content_type) for f in files] == [
        ("签收单.jpg", "image/jpeg"), ("书面答复.pdf", "application/pdf")]
    assert b"PhoneMaker" not in files[0].data and files[1].data == PDF
    # The unit sees its own files on the problem page.
    page = _html(client.get(f"/problems/{low.id}"))
    assert "签收单.jpg" in page and "书面答复.pdf" in page
    client.post_form("/logout")

    login_as(w.coordinator)
    page = _html(client.get("/problems/appeals"))
    assert "签收单.jpg" in page and "书面答复.pdf" in page
    url = f"/problems/appeals/{appeal.id}/files/{files[1].id}"
    assert f'href="{url}"' in page
    r = client.get(url)
    assert r.status_code == 200 and r.data == PDF
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.mimetype == "application/pdf"
    # A file id of another appeal under this appeal's address is not found.
    assert client.get(f"/problems/appeals/{appeal.id}/files/987654").status_code == 404


@pytest.mark.now("2026-11-25 10:00")
def test_only_those_who_may_see_the_appeal_download(app, client, login_as, world):
    w = world
    low = _rated(w, 1, "招工")
    db.session.commit()
    login_as(w.handler)
    client.post_form(f"/problems/{low.id}/appeal", {
        "reason": "企业要求超出政策范围", "evidence": "书面答复",
        "files": [_file(PDF, "书面答复.pdf")]}, content_type="multipart/form-data")
    client.post_form("/logout")
    appeal = db.session.scalar(select(Appeal))
    item = db.session.scalar(select(AppealFile))
    url = f"/problems/appeals/{appeal.id}/files/{item.id}"
    # Another unit's handler, the leader, the commissioner, the admin: no file.
    colleague = factories.user(["handler"], unit=w.unit, username="hand3")
    db.session.commit()
    for who, status in ((w.other_handler, 404), (w.leader, 403), (w.commissioner, 403),
                        (w.admin, 403), (colleague, 200)):
        login_as(who)
        assert client.get(url).status_code == status, who.username
        if status != 200:
            assert "书面答复.pdf" not in _html(client.get(f"/problems/{low.id}"))
        client.post_form("/logout")
    assert app.test_client().get(url).status_code == 302  # signed out: to the sign-in


@pytest.mark.now("2026-11-25 10:00")
@pytest.mark.parametrize("files, message", [
    ([(b"<html><script>alert(1)</script>", "x.jpg")], "不是照片（JPEG 或 PNG）或 PDF 文件"),
    ([(b"%PDF-1.4 truncated", "a.pdf")], "不完整或已损坏"),
    ([(b"", "empty.png")], "是空的"),
    ([(b"%PDF-" + b"0" * MAX_FILE_BYTES + b"%%EOF", "big.pdf")], "超过 5 MB"),
    ([(PDF, f"{n}.pdf") for n in range(4)], "最多 3 个文件"),
])
def test_bad_files_get_a_chinese_message_and_nothing_is_kept(app, client, login_as, world,
                                                            files, message):
    w = world
    low = _rated(w, 1, "招工")
    db.session.commit()
    login_as(w.handler)
    r = client.post_form(f"/problems/{low.id}/appeal", {
        "reason": "企业要求超出政策范围", "evidence": "书面答复",
        "files": [_file(data, name) for data, name in files]},
        content_type="multipart/form-data")
    assert r.status_code == 400
    assert message in _html(r)
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 0
    assert db.session.scalar(select(func.count()).select_from(AppealFile)) == 0
