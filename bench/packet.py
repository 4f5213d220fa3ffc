"""Child process: render the latest packet of a kind and report times and peak RSS.

    python bench/packet.py DATABASE_URL [joint|review|minutes]

``joint`` (default): the latest monthly meeting's packet; ``review``: the latest
quarterly review's; ``minutes``: the 纪要 of the latest minuted monthly meeting.

Prints one JSON line: the app's render (``briefing_html`` + ``html_to_pdf``), the
HTML step alone, WeasyPrint alone on the same final HTML, pages, and this process's
peak resident set size (``ru_maxrss``), i.e. what one worker needs for a packet.
"""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(url: str, kind: str = "joint") -> dict:
    """Render once to warm up fonts, then time the render steps."""
    import weasyprint  # noqa: F401  (imported before timing, as the worker does)
    from sqlalchemy import func, select

    from crm import create_app
    from crm.config import Config
    from crm.extensions import db
    from crm.meetings.packets.render import BASE_URL, StaticOnlyFetcher, briefing_html, html_to_pdf
    from crm.meetings.models import Briefing, Meeting

    class Cfg(Config):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = None

    app = create_app(Cfg)
    with app.app_context(), app.test_request_context():
        where = [Meeting.kind == ("review" if kind == "review" else "joint")]
        if kind == "minutes":
            where.append(Meeting.state == "minuted")
        meeting_id = db.session.scalar(select(func.max(Meeting.id)).where(*where))
        # An unsaved Briefing: the render reads the meeting, nothing is written.
        briefing = Briefing(kind=kind, meeting_id=meeting_id, version=1, state="running")
        briefing.meeting = db.session.get(Meeting, meeting_id)
        t0 = time.perf_counter()
        html = briefing_html(briefing)
        t1 = time.perf_counter()
        rendered = html_to_pdf(html)
        t2 = time.perf_counter()
        doc = weasyprint.HTML(string=html, base_url=BASE_URL,
                              url_fetcher=StaticOnlyFetcher(app.static_folder))
        doc.write_pdf()
        t3 = time.perf_counter()
    return dict(kind=kind, html_s=round(t1 - t0, 2), app_render_s=round(t2 - t0, 2),
                weasyprint_alone_s=round(t3 - t2, 2), pages=rendered.pages,
                pdf_kib=len(rendered.pdf) // 1024,
                peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:3])))
