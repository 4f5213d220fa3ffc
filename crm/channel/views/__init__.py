"""The channel's pages. ``bp`` (at the site root): the enterprise's own pages behind its
code, ``/c/<code>`` (public, no account), and the signed-in pages that keep a code: the
QR code with its rotation, the printable A5 card, the photos an enterprise attached."""
from flask import Blueprint

bp = Blueprint("channel", __name__)

from crm.channel.views import manage, public  # noqa: E402,F401  (routes)
