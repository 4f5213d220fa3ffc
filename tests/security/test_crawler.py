"""Crawl the app as each demo role: every page reachable from the navigation answers
without a server error and carries no inline script (the CSP forbids it)."""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest

from crm.seed.county import DEMO_SIGNINS
from tests.security.conftest import sign_in

MAX_PAGES = 400
HREF_RE = re.compile(r'href="([^"]+)"')
INLINE_SCRIPT_RE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
SKIP_SUFFIXES = (".xlsx", ".pdf", ".csv", "/qr", "/logout")
SKIP_PREFIXES = ("/static/", "/visits/photos/")


def _links(html: str) -> list[str]:
    out = []
    for raw in HREF_RE.findall(html):
        href = urldefrag(raw.replace("&amp;", "&"))[0]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/"):
            continue   # same origin only
        path = parts.path
        if path.startswith(SKIP_PREFIXES) or path.endswith(SKIP_SUFFIXES):
            continue
        out.append(href)
    return out


def crawl(client, start: str = "/"):
    """Breadth-first GET crawl; returns {url: status} and the inline-script offenders."""
    seen: dict[str, int] = {}
    inline: list[str] = []
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url, follow_redirects=True)
        seen[url] = response.status_code
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        if INLINE_SCRIPT_RE.search(html):
            inline.append(url)
        for link in _links(html):
            # Keep the crawl bounded: at most a few pages of each paginated list.
            if "page=" in link and re.search(r"page=(\d+)", link) and int(
                    re.search(r"page=(\d+)", link).group(1)) > 3:
                continue
            if link not in seen:
                queue.append(link)
    return seen, inline


@pytest.mark.parametrize("username", [u for u, _role in DEMO_SIGNINS])
def test_crawl_each_role_no_server_error(demo_ctx, username):
    """Every page a role can reach answers below 500 and has no inline script."""
    client = sign_in(demo_ctx, username)
    seen, inline = crawl(client)
    errors = {url: code for url, code in seen.items() if code >= 500}
    assert not errors, errors
    assert not inline, inline
    # The crawl really walked the role's part of the product, not just the home page.
    assert len(seen) >= 10, seen
    ok = [url for url, code in seen.items() if code == 200]
    assert len(ok) >= 10


def test_crawl_anonymous_lands_on_sign_in(demo_ctx):
    """Signed out, the crawl only sees the sign-in page (everything else redirects there)."""
    client = demo_ctx.test_client()
    seen, inline = crawl(client)
    assert all(code < 500 for code in seen.values())
    assert not inline
    html = client.get("/enterprises/", follow_redirects=True).get_data(as_text=True)
    assert 'name="password"' in html
