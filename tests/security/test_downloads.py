"""Every file the app hands out — uploaded photos, exports, the import template, packet
PDFs and their tables — leaves as a download (``Content-Disposition: attachment``) with
a readable UTF-8 name, ``nosniff`` and no shared caching, and only to those who may see
the record. Photos still show in ``<img>`` (browsers ignore the disposition there)."""
from __future__ import annotations

import hashlib
import io
import re
from urllib.parse import unquote

from PIL import Image

from crm.core.downloads import safe_filename
from crm.core.timeutil import local_today
from crm.extensions import db
from crm.liaisons.models import VisitPhoto
from crm.meetings.models import Briefing
from tests import factories
from tests.liaisons.conftest import image_bytes

HOSTILE_NAME = '刘/建国 "A\\B" <x>:*?|'


def download_name(response) -> str:
    """The file name a browser would save ``response`` under (RFC 6266 ``filename*``
    first); fails unless the response is an attachment."""
    disposition = response.headers.get("Content-Disposition", "")
    assert disposition.startswith("attachment;"), disposition
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    if encoded:
        return unquote(encoded.group(1), errors="strict")
    return re.search(r'filename="?([^";]+)', disposition).group(1)


def _world():
    coordinator = factories.user(roles=["coordinator", "admin"])
    commissioner = factories.user(roles=["commissioner"], display_name="王小明")
    stranger = factories.user(roles=["commissioner"])
    leader = factories.user(roles=["leader"], display_name=HOSTILE_NAME)
    ent = factories.enterprise("兴发制管有限公司")
    factories.assignment(ent, commissioner)
    factories.assignment(ent, leader, "leader_a")
    visit = factories.visit(ent, commissioner, summary="带照片的走访")
    factories.issue(ent, commissioner, title="用电增容")
    photo = VisitPhoto(visit_id=visit.id, content_type="image/jpeg", size=0,
                       data=image_bytes())
    photo.size = len(photo.data)
    pdf = b"%PDF-1.7 portfolio"
    packet = Briefing(kind="portfolio", leader_id=leader.id, state="success", pdf=pdf,
                      sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), pages=1)
    db.session.add_all([photo, packet])
    db.session.commit()
    return coordinator, commissioner, stranger, visit, photo, packet


def test_every_download_is_an_attachment_with_a_readable_chinese_name(client, login_as):
    coordinator, _com, _stranger, visit, photo, packet = _world()
    login_as(coordinator)
    today = local_today()
    expected = {
        f"/visits/photos/{photo.id}": f"兴发制管有限公司-走访{visit.visit_date}-照片{photo.id}.jpg",
        "/enterprises/export.xlsx": f"企业名单-{today:%Y%m%d}.xlsx",
        "/enterprises/import/template.xlsx": "企业信息导入模板.xlsx",
        "/visits/export.xlsx": f"走访记录-{today.isoformat()}.xlsx",
        f"/briefings/{packet.id}/pdf": "刘_建国 _A_B_ _x_同志包联企业情况-v1.pdf",
        f"/briefings/{packet.id}/tables.xlsx": "刘_建国 _A_B_ _x_同志包联企业情况-表格.xlsx",
    }
    for url, name in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert download_name(response) == name, url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert "private" in response.headers["Cache-Control"], url
        assert "public" not in response.headers["Cache-Control"], url
    problems = client.get("/problems/export.xlsx")
    assert re.fullmatch(r"问题清单-\d{8}-\d{4}\.xlsx", download_name(problems))
    pdf = client.get(f"/briefings/{packet.id}/pdf")
    assert pdf.data == b"%PDF-1.7 portfolio" and pdf.mimetype == "application/pdf"


def test_a_photo_is_an_inert_download_that_still_shows_on_the_visit_page(client, login_as):
    _coordinator, commissioner, _stranger, visit, photo, _packet = _world()
    login_as(commissioner)
    served = client.get(f"/visits/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert served.headers["Cache-Control"] == "private, max-age=86400"
    assert Image.open(io.BytesIO(served.data)).format == "JPEG"
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert re.search(rf'<img src="/visits/photos/{photo.id}"', page)


def test_downloads_are_refused_to_who_may_not_see_the_record(app, client, login_as):
    _coordinator, _com, stranger, _visit, photo, packet = _world()
    assert client.get(f"/visits/photos/{photo.id}").status_code == 302   # sign in first
    login_as(stranger)
    for url in (f"/visits/photos/{photo.id}", f"/briefings/{packet.id}/pdf",
                f"/briefings/{packet.id}/tables.xlsx"):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert "Content-Disposition" not in response.headers, url


def test_safe_filename_keeps_chinese_and_drops_what_breaks_names():
    assert safe_filename("企业名单-20261127.xlsx") == "企业名单-20261127.xlsx"
    assert safe_filename("../../etc/passwd") == "etc_passwd"
    assert safe_filename("a\r\nSet-Cookie: x=1.pdf") == "a_Set-Cookie_ x=1.pdf"
    assert safe_filename("\u202egpj.exe") == "gpj.exe"
    assert safe_filename("") == safe_filename("///") == "download"
    long = safe_filename("𬌗" * 500 + ".pdf")
    assert len(long) == 150 and long.endswith(".pdf")
