"""Rendering packets to PDF with WeasyPrint.

``render_briefing(briefing)`` is a pure function of the database state: it builds the
HTML from a template and hands it to WeasyPrint with a URL fetcher that serves only the
app's own static files (no network, no local files outside ``crm/static``). It does not
touch the Briefing's state; ``crm.meetings.packets.job.build_briefing`` does that.
"""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from crm.meetings.packets import kinds
from crm.meetings.packets.context import packet_context, packet_title, pdf_filename  # noqa: F401

# Relative URLs in packet templates resolve against this base; only its /static/ path
# is ever answered, from the app's own static folder.
BASE_URL = "http://crm.invalid/"


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves the app's static files and nothing else:
    no network access and no local file outside ``crm/static`` (and ``data:`` URIs)."""

    def __init__(self, static_root: str | Path):
        super().__init__(allowed_protocols={"http", "data"})
        self._root = Path(static_root).resolve()

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parsed = urlparse(url)
        if parsed.scheme != "http" or parsed.netloc != "crm.invalid" or \
                not parsed.path.startswith("/static/"):
            raise ValueError(f"refused to fetch {url!r}: only the app's static files")
        target = (self._root / unquote(parsed.path[len("/static/"):])).resolve()
        if not target.is_relative_to(self._root) or not target.is_file():
            raise ValueError(f"refused to fetch {url!r}: no such static file")
        mime, _enc = mimetypes.guess_type(target.name)
        return URLFetcherResponse(url, target.read_bytes(),
                                  {"Content-Type": mime or "application/octet-stream"})


@dataclass
class RenderedPDF:
    """The PDF bytes and the number of pages WeasyPrint laid out."""

    pdf: bytes
    pages: int


def html_to_pdf(html: str) -> RenderedPDF:
    """Lay out ``html`` with WeasyPrint and write the PDF (fonts subset and embedded)."""
    fetcher = StaticOnlyFetcher(current_app.static_folder)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render()
    return RenderedPDF(document.write_pdf(), len(document.pages))


def briefing_html(briefing) -> str:
    """The final HTML of ``briefing``: the context and the template of its kind
    (``crm.meetings.packets.kinds``)."""
    context = packet_context(briefing)
    return render_template(kinds.get(briefing.kind).template, **context)


def render_briefing(briefing) -> RenderedPDF:
    """Render ``briefing`` to a PDF (pure: reads the database, writes nothing)."""
    return html_to_pdf(briefing_html(briefing))
