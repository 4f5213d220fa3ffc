"""Offline photos in IndexedDB (vendored idb-keyval), not base64 in localStorage: three
photos queued offline on a 390×844 phone whose localStorage is full are kept and synced."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.liaisons.models import Visit, VisitPhoto
from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.test_visits import field_day, open_form  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

FILL_STORAGE = """() => {
  // Fill localStorage up to its quota, then free a few kilobytes: room for the queue
  // entry itself, none for photos as data URLs.
  const chunk = 'x'.repeat(256 * 1024);
  let i = 0;
  for (const size of [chunk, chunk.slice(0, 16 * 1024), chunk.slice(0, 1024)]) {
    try { while (true) { localStorage.setItem('filler.' + (i++), size); } } catch (e) {}
  }
  localStorage.removeItem('filler.' + (i - 1));
  for (let k = i - 2; k > i - 10 && k >= 0; k--) { localStorage.removeItem('filler.' + k); }
  return i;
}"""


def test_three_photos_queued_offline_survive_a_full_storage_and_sync(live_app, phone,
                                                                    field_day, tmp_path):
    from tests.liaisons.conftest import image_bytes

    files = []
    for n in range(3):
        path = tmp_path / f"IMG_{n}.jpg"
        path.write_bytes(image_bytes(size=(1600, 1200), quality=95))
        files.append(str(path))
    sign_in(phone, "wang", factories.PASSWORD)
    open_form(phone)
    phone.get_by_test_id("summary").fill("车间断网，拍了三张照片")
    phone.get_by_test_id("photo-input").set_input_files(files)
    assert phone.get_by_test_id("photo-preview").count() == 3
    phone.evaluate(FILL_STORAGE)
    phone.context.set_offline(True)
    phone.get_by_test_id("submit-visit").tap()
    notice = phone.get_by_test_id("queued-notice")
    notice.wait_for()
    assert "待同步" in notice.inner_text() and "照片太大" not in notice.inner_text()
    queue = phone.evaluate("""() => JSON.parse(localStorage.getItem('crm.visitQueue.' +
        document.getElementById('visit-sync').dataset.user))""")
    [entry] = queue
    assert len(entry["photos"]) == 3
    assert all(p.get("idb") and "data" not in p for p in entry["photos"])
    sizes = phone.evaluate("""async () => {
        const store = idbKeyval.createStore('crm-visit-photos-' +
            document.getElementById('visit-sync').dataset.user, 'photos');
        const keys = await idbKeyval.keys(store);
        const blobs = await Promise.all(keys.map(k => idbKeyval.get(k, store)));
        return blobs.map(b => b.size);
    }""")
    assert len(sizes) == 3 and all(s > 1000 for s in sizes)
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 0
    phone.context.set_offline(False)
    phone.wait_for_function(
        "() => document.getElementById('visit-sync').textContent.includes('已同步')")
    with live_app.app_context():
        db.session.remove()
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
        assert db.session.scalar(select(func.count()).select_from(VisitPhoto)) == 3
    left = phone.evaluate("""async () => (await idbKeyval.keys(idbKeyval.createStore(
        'crm-visit-photos-' + document.getElementById('visit-sync').dataset.user,
        'photos'))).length""")
    assert left == 0
    print(f"\nOFFLINE PHOTOS: 3 photos ({sum(sizes) // 1024} KB) kept in IndexedDB with "
          f"localStorage full, synced: 1 visit, 3 photos")
