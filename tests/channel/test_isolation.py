"""Nothing of another enterprise is reachable from a code: every link, image and form
reachable from the code page (followed anonymously, as the phone would) is walked, and
no answer carries anything of the other enterprise."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

from crm.core.timeutil import utcnow
from crm.extensions import db
from tests import factories

MAX_PAGES = 150


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action") and value:
                self.found.append(value)


def _walk(client, start: str) -> dict[str, tuple[int, str]]:
    seen: dict[str, tuple[int, str]] = {}
    queue = [start]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        r = client.get(url)
        body = r.get_data(as_text=True) if r.mimetype.startswith("text/") else ""
        seen[url] = (r.status_code, body)
        targets = []
        if r.status_code in (301, 302, 303):
            targets.append(r.headers["Location"])
        if body:
            parser = Links()
            parser.feed(body)
            targets += parser.found
        for t in targets:
            full = urlparse(urljoin("http://localhost" + url, t))
            if full.scheme not in ("http", "https") or full.netloc != "localhost":
                continue
            path = full.path + (f"?{full.query}" if full.query else "")
            if path not in seen:
                queue.append(path)
    return seen


def test_every_link_from_a_code_stays_with_its_enterprise(app, world):
    w = world
    factories.contact(w.other_enterprise, name="钱秘书", phone="13711112222")
    other_comm = factories.user(["commissioner"], display_name="孙特派", phone="13633334444")
    factories.assignment(w.other_enterprise, other_comm, "commissioner")
    secret = factories.issue(w.other_enterprise, other_comm, state="in_progress",
                             lead_unit_id=w.other_unit.id, title="远山商业秘密问题",
                             description="远山内部描述", due_at=utcnow())
    mine = w.issue("dispatched", title="青石本企业问题", due_at=utcnow())
    # Resolved problems on both sides: the code page links its own to the rating form.
    w.issue("resolved", title="青石待评价问题", resolution="已办结", resolved_at=utcnow())
    factories.issue(w.other_enterprise, other_comm, state="resolved",
                    lead_unit_id=w.other_unit.id, title="远山待评价问题",
                    resolution="远山办结说明", resolved_at=utcnow())
    db.session.commit()
    phone = app.test_client()
    pages = _walk(phone, f"/c/{w.enterprise.channel_code}")

    assert len(pages) >= 5  # the page, the form, static files, sign-in…
    assert any("青石本企业问题" in body for _s, body in pages.values())
    assert mine.number in pages[f"/c/{w.enterprise.channel_code}"][1]
    assert any("/rate/" in url for url in pages)  # the rating form was walked too
    forbidden = ("远山食品有限公司", "远山商业秘密问题", "远山内部描述", secret.number, "钱秘书",
                 "远山待评价问题", "远山办结说明",
                 "13711112222", "孙特派", "13633334444", w.other_enterprise.channel_code)
    for url, (status, body) in pages.items():
        assert status < 500, url
        for text in forbidden:
            assert text not in body, (url, text)
        assert w.other_enterprise.channel_code not in url
    # Nothing but the code's own pages, the sign-in and static files answered 200.
    served = {u for u, (s, _b) in pages.items() if s == 200}
    code = w.enterprise.channel_code
    assert all(u.startswith((f"/c/{code}", "/static/", "/login")) for u in served), served
