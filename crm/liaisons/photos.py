"""Visit photos: checked by content, re-encoded without metadata (``crm.core.images``)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from crm.core.images import ImageRejected, reencode

MAX_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 6


class PhotoError(ValueError):
    """An upload that is not an acceptable photo; the message is for the user."""


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo ready to store."""

    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        """Size of the stored bytes."""
        return len(self.data)


def _read_limited(stream, name: str) -> bytes:
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoError(_("The photo %(name)s is larger than %(mb)d MB.", name=name,
                           mb=MAX_BYTES // (1024 * 1024)))
    if not data:
        raise PhotoError(_("The photo %(name)s is empty.", name=name))
    return data


def clean_photo(stream, name: str = "") -> CleanPhoto:
    """Check that ``stream`` holds a JPEG or PNG within the limits and re-encode it.

    Raises ``PhotoError`` with a message for the user otherwise.
    """
    name = name or _("(unnamed)")
    raw = _read_limited(stream, name)
    try:
        content_type, data = reencode(raw, name, _("%(name)s is not a JPEG or PNG photo.",
                                                   name=name))
    except ImageRejected as exc:
        raise PhotoError(str(exc)) from exc
    return CleanPhoto(content_type, data)
