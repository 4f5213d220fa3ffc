"""Paths to pages other modules serve (the visit form, the problem page), and the
printable QR code."""
from __future__ import annotations

from functools import lru_cache

import segno
from flask import current_app, has_request_context, request, url_for
from markupsafe import Markup


def visit_form_path(enterprise_id: int) -> str:
    """The page where a signed-in commissioner logs a visit to the enterprise."""
    return url_for("liaisons.new_visit", enterprise_id=int(enterprise_id))


def problem_path(issue_id: int) -> str:
    """The problem page."""
    return url_for("issues.detail", issue_id=int(issue_id))


def absolute_url(path: str) -> str:
    """``path`` as a full address a phone can open: on ``PUBLIC_URL`` when configured
    (printed codes outlive the intranet address a coordinator happened to use), else on
    the host of the current request."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return base + path
    if not has_request_context():
        return path
    return request.host_url.rstrip("/") + path


@lru_cache(maxsize=2048)
def qr_svg(url: str, title: str = "") -> Markup:
    """An inline SVG QR code for ``url`` that scales with its container (no script,
    no external request: it fits the content security policy and prints sharply).

    Kept per process by its arguments: the code is a pure function of them (~7 ms to
    draw, on every enterprise page), so a cached one is never stale."""
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(omitsize=True, svgclass="qr-code", lineclass=None,
                                  title=title or None, border=2))
