"""HTTP plumbing of every response: the session cookie, the error pages, refusing NUL
bytes, and the security headers (CSP: no inline script, nothing from outside)."""
from __future__ import annotations

from flask import has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from crm.core import transactions


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, whose cookie is also ``Secure`` on every request
    that came over HTTPS (directly, or through a trusted proxy: TRUSTED_PROXIES), even
    where SESSION_COOKIE_SECURE was not set."""

    def get_cookie_secure(self, app) -> bool:
        return bool(super().get_cookie_secure(app)
                    or (has_request_context() and request.is_secure))


def init_app(app) -> None:
    """Error pages, the NUL-byte guard and the response headers."""

    def render_error(code: int, title: str, message: str):
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(
            400,
            _("This page has expired"),
            _("The form was open too long or was sent twice. Go back, reload the page and "
              "submit again; what you typed may need to be entered again."),
        )

    @app.errorhandler(403)
    def forbidden(exc):
        return render_error(403, _("Not allowed"), _("You do not have access to this page."))

    @app.errorhandler(404)
    def not_found(exc):
        return render_error(404, _("Page not found"),
                            _("The page or record does not exist, or it was removed."))

    @app.errorhandler(413)
    def too_large(exc):
        return render_error(413, _("File too large"),
                            _("The upload is larger than the server accepts."))

    @app.errorhandler(429)
    def too_many(exc):
        return render_error(429, _("Too many attempts"),
                            _("Too many requests in a short time. Wait a minute and try again."))

    @app.errorhandler(500)
    def server_error(exc):
        # Before the page is rendered: the failed unit of work may have left the
        # session unusable, and the page reads the signed-in user's notices.
        transactions.discard()
        return render_error(500, _("Something went wrong"),
                            _("The request could not be completed. Nothing was saved. "
                              "Please try again; if it happens again, tell the administrator."))

    @app.errorhandler(HTTPException)
    def other_http(exc):
        return render_error(exc.code or 500, exc.name, exc.description or "")

    @app.before_request
    def refuse_nul_bytes():
        # No keyboard types a NUL byte, and PostgreSQL cannot store one in text: a
        # value carrying it would end as a 500 wherever it reaches a query.
        # In a query string they are dropped, as any unreadable filter is ignored.
        if b"%00" in request.query_string or b"\x00" in request.query_string:
            request.args = ImmutableMultiDict(
                [(k.replace("\x00", ""), v.replace("\x00", ""))
                 for k, vs in request.args.lists() for v in vs])
        values = [request.path]
        if request.method == "POST":
            values += [v for _k, vs in request.form.lists() for v in vs]
            values += [f.filename or "" for _k, fs in request.files.lists() for f in fs]
        if any("\x00" in v for v in values):
            return render_error(400, _("Invalid characters"),
                                _("The request contained characters that cannot be stored. "
                                  "Nothing was saved. Go back and type the text again."))
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; object-src 'none'; frame-ancestors 'none'; "
            "base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
