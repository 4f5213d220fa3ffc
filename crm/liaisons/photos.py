"""Visit photos: checked by content, re-encoded without metadata.

A photo taken on a phone carries EXIF data, often including the GPS position of the
cadre's home or office. Every upload is decoded with Pillow (so a renamed HTML file or a
polyglot is refused), turned upright according to its EXIF orientation, scaled to at most
``MAX_SIDE`` pixels and written out again as a fresh JPEG or PNG: the stored bytes are
ones we produced, without EXIF, XMP, comments or text chunks.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 6
MAX_SIDE = 2048
# Refuse decompression bombs well before Pillow's own (warning-only) limit.
MAX_PIXELS = 50_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


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
    not_image = PhotoError(_("%(name)s is not a JPEG or PNG photo.", name=name))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            fmt = image.format
            if fmt not in FORMATS:
                raise not_image
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoError(_("The photo %(name)s has too many pixels.", name=name))
            image.load()
            image = ImageOps.exif_transpose(image)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError(_("The photo %(name)s has too many pixels.", name=name)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise not_image from exc
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if fmt == "JPEG" or image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=85, optimize=True)
        return CleanPhoto("image/jpeg", out.getvalue())
    image.save(out, "PNG", optimize=True)
    return CleanPhoto("image/png", out.getvalue())
