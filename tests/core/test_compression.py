"""Pages and JSON travel compressed to clients that accept it (phones on poor signal);
downloads and clients that do not ask are served as they are."""
import gzip

from crm.extensions import db
from tests import factories


def test_pages_are_gzipped_for_clients_that_accept_it(app, client, login_as):
    coordinator = factories.user(roles=["coordinator"])
    for n in range(30):
        factories.enterprise(f"测试企业{n:02d}有限公司")
    db.session.commit()
    login_as(coordinator)
    plain = client.get("/enterprises/")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    packed = client.get("/enterprises/", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers.get("Vary", "")
    html = gzip.decompress(packed.data).decode()
    assert "测试企业00有限公司" in html
    assert len(packed.data) < len(plain.data) / 3
    export = client.get("/enterprises/export.xlsx", headers={"Accept-Encoding": "gzip"})
    assert export.status_code == 200 and "Content-Encoding" not in export.headers
