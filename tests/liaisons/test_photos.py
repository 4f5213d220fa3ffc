"""Photos: checked by content, re-encoded without EXIF (no GPS position leaks), limited in
size and number, and served only to those who may see the visit."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from crm.extensions import db
from crm.liaisons.models import Visit, VisitPhoto
from crm.liaisons.photos import MAX_BYTES, PhotoError, clean_photo
from tests import factories
from tests.liaisons.conftest import FETCH, gps_exif, image_bytes, visit_data


def test_jpeg_loses_its_exif_and_is_turned_upright():
    raw = image_bytes(size=(64, 48), exif=gps_exif())
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the GPS block is there
    clean = clean_photo(io.BytesIO(raw), "IMG_0001.jpg")
    out = Image.open(io.BytesIO(clean.data))
    assert clean.content_type == "image/jpeg" and out.format == "JPEG"
    assert dict(out.getexif()) == {} and b"Exif" not in clean.data
    assert out.size == (48, 64)  # orientation 6 applied before the tag was dropped


def test_png_loses_its_text_chunks():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret location 26.07,119.29")
    raw = image_bytes("PNG", pnginfo=info)
    clean = clean_photo(io.BytesIO(raw), "screen.png")
    assert clean.content_type == "image/png"
    assert b"secret location" not in clean.data
    assert Image.open(io.BytesIO(clean.data)).size == (64, 48)


def test_big_photos_are_scaled_down():
    clean = clean_photo(io.BytesIO(image_bytes(size=(4000, 3000))), "big.jpg")
    assert max(Image.open(io.BytesIO(clean.data)).size) == 2048


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims to be huge (a decompression bomb)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("raw,name,message", [
    (b"<html><script>alert(1)</script></html>", "photo.jpg", "不是 JPEG 或 PNG 格式的照片"),
    (b"\xff\xd8\xff\xe0 truncated jpeg", "cut.jpg", "不是 JPEG 或 PNG 格式的照片"),
    (b"", "empty.jpg", "是空文件"),
    (b"x" * (MAX_BYTES + 1), "huge.jpg", "超过 8 MB"),
    (None, "anim.gif", "不是 JPEG 或 PNG 格式的照片"),
    (_png_header_only(30000, 30000), "bomb.png", "像素过大"),
    (_png_header_only(8000, 8000), "large.png", "像素过大"),
])
def test_what_is_not_an_acceptable_photo_is_refused(app, raw, name, message):
    if raw is None:
        out = io.BytesIO()
        Image.new("RGB", (10, 10)).save(out, "GIF")
        raw = out.getvalue()
    with app.test_request_context(), pytest.raises(PhotoError) as info:
        clean_photo(io.BytesIO(raw), name)
    assert message in str(info.value) and (name in str(info.value) or "格式" in str(info.value))


def _post_with_photos(client, county, files, **extra):
    data = visit_data(**extra)
    data["photos"] = [(io.BytesIO(raw), name) for raw, name in files]
    return client.post_form(f"/visits/new/{county.ent.id}", data, headers=FETCH,
                            content_type="multipart/form-data")


def test_upload_store_and_serve_a_photo(county, client, login_as):
    login_as(county.com)
    response = _post_with_photos(client, county, [(image_bytes(exif=gps_exif()), "a.jpg"),
                                                  (image_bytes("PNG"), "b.png")])
    assert response.get_json()["ok"], response.get_json()
    photos = list(db.session.scalars(select(VisitPhoto).order_by(VisitPhoto.id)))
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    served = client.get(f"/visits/photos/{photos[0].id}")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert dict(Image.open(io.BytesIO(served.data)).getexif()) == {}
    page = client.get(f"/visits/{photos[0].visit_id}").get_data(as_text=True)
    assert f"/visits/photos/{photos[0].id}" in page and f"/visits/photos/{photos[1].id}" in page


def test_photos_are_served_only_to_who_may_see_the_visit(county, client, login_as):
    visit = factories.visit(county.ent, county.com)
    photo = VisitPhoto(visit_id=visit.id, content_type="image/jpeg", size=3, data=b"abc")
    db.session.add(photo)
    db.session.commit()
    login_as(county.other)  # a commissioner of another enterprise
    assert client.get(f"/visits/photos/{photo.id}").status_code == 404
    assert client.get(f"/visits/{visit.id}").status_code == 404
    assert client.get("/visits/photos/999999").status_code == 404
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login_as(county.coord)
    assert client.get(f"/visits/photos/{photo.id}").data == b"abc"
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    assert client.get(f"/visits/photos/{photo.id}").status_code == 302  # sign in first


def test_a_bad_file_comes_back_by_the_photo_field_and_nothing_is_stored(county, client, login_as):
    login_as(county.com)
    response = _post_with_photos(client, county, [(image_bytes(), "ok.jpg"),
                                                  (b"GIF89a not really", "fake.jpg")],
                                 summary="带照片的走访")
    assert response.status_code == 422
    assert "“fake.jpg”不是 JPEG 或 PNG 格式的照片" in response.get_json()["errors"]["photos"][0]
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_at_most_six_photos(county, client, login_as):
    login_as(county.com)
    response = _post_with_photos(client, county, [(image_bytes(), f"{i}.jpg") for i in range(7)])
    assert response.status_code == 422
    assert "最多上传 6 张照片" in response.get_json()["errors"]["photos"][0]
