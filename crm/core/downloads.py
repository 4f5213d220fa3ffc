"""Files leaving the app (exports, packets, templates, photos) as downloads.

Every generated or uploaded file is sent with ``Content-Disposition: attachment``: a
browser saves it rather than showing it as a page of this site, so even a file with
unexpected content cannot run in the app's origin. The name is readable Chinese
(``filename*`` in UTF-8, RFC 6266) with an ASCII ``filename`` for old clients, and is
cleaned of characters that file systems or headers do not accept (names come from
user-typed titles and display names).
"""
from __future__ import annotations

import io
import re

from flask import send_file

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Path separators, characters Windows refuses in names, quotes and control characters.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|\u2028\u2029\u202a-\u202e]+')
MAX_NAME = 150


def safe_filename(name: str, fallback: str = "download") -> str:
    """``name`` without separators, control characters or quotes, at most ``MAX_NAME``
    characters (the extension kept); ``fallback`` if nothing is left."""
    cleaned = _UNSAFE.sub("_", name or "").strip(" ._")
    if len(cleaned) > MAX_NAME:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = (stem[:MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 5 \
            else cleaned[:MAX_NAME]
    return cleaned or fallback


def send_download(data: bytes, name: str, mimetype: str, **kwargs):
    """A response that makes the browser save ``data`` as ``name`` (see module doc).

    ``kwargs`` go to ``flask.send_file`` (e.g. ``etag``, ``max_age``)."""
    kwargs.setdefault("max_age", 0)
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=safe_filename(name), **kwargs)
    response.cache_control.private = True   # one person's data: no shared cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
