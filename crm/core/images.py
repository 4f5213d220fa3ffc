"""Uploaded photos checked by content and written out again without metadata.

A photo taken on a phone carries EXIF data, often including the GPS position of the
person's home or office. Every upload is decoded with Pillow (so a renamed HTML file or
a polyglot is refused), turned upright according to its EXIF orientation, scaled to at
most ``MAX_SIDE`` pixels and written out again as a fresh JPEG or PNG: the stored bytes
are ones we produced, without EXIF, XMP, comments or text chunks. Visit photos, the
enterprise's own photos and appeal evidence all go through ``reencode``.
"""
from __future__ import annotations

import io
import warnings

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 2048
# Refuse decompression bombs well before Pillow's own (warning-only) limit.
MAX_PIXELS = 50_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


class ImageRejected(ValueError):
    """Not an acceptable photo; the message is for the user."""


def reencode(raw: bytes, name: str, not_image: str) -> tuple[str, bytes]:
    """``(content_type, bytes)`` of the JPEG or PNG in ``raw``, re-encoded.

    Raises ``ImageRejected`` with ``not_image`` (the caller's wording of what it
    accepts) for anything else, and with a message of its own for too many pixels.
    """
    too_big = _("The photo %(name)s has too many pixels.", name=name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            fmt = image.format
            if fmt not in FORMATS:
                raise ImageRejected(not_image)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageRejected(too_big)
            image.load()
            image = ImageOps.exif_transpose(image)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(too_big) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(not_image) from exc
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if fmt == "JPEG" or image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=85, optimize=True)
        return "image/jpeg", out.getvalue()
    image.save(out, "PNG", optimize=True)
    return "image/png", out.getvalue()
