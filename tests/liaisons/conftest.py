"""Fixtures for the visit tests: a small county with one commissioner and helpers to
post the visit form as the browser does."""
from __future__ import annotations

import io
import uuid
from types import SimpleNamespace

import pytest
from PIL import Image

from crm.core.timeutil import local_today
from crm.extensions import db
from tests import factories


@pytest.fixture
def county(app):
    """Commissioner 王 (unit 城关镇) on 兴发制管 (manufacturing), a policy that fits it and
    one that does not, a problem category, a coordinator and an unrelated commissioner."""
    town = factories.unit("城关镇", kind="town")
    com = factories.user(["commissioner"], username="wang", display_name="王小明", unit=town)
    other = factories.user(["commissioner"], username="li", display_name="李四")
    coord = factories.user(["coordinator"], username="coord", display_name="赵协调")
    leader = factories.user(["leader"], username="boss", display_name="陈市长")
    ent = factories.enterprise("兴发制管有限公司", industry="C", scale="above", status="normal")
    spare = factories.enterprise("恒昌食品股份有限公司", industry="C")
    factories.assignment(ent, com)
    factories.assignment(ent, leader, "leader_a")
    factories.assignment(spare, other)
    fits = factories.policy("制造业技术改造专项补贴", industries="C", issuer="市工信局")
    other_policy = factories.policy("外贸企业出口信用保险补贴", industries="F")
    cat = factories.category("用电用能")
    db.session.commit()
    return SimpleNamespace(com=com, other=other, coord=coord, leader=leader, ent=ent,
                           spare=spare, fits=fits, other_policy=other_policy, cat=cat, town=town)


def visit_data(**kw) -> dict:
    """A valid submission of the visit form (today, on site, a summary)."""
    data = {"client_uuid": str(uuid.uuid4()), "visit_date": local_today().isoformat(),
            "mode": "onsite", "status_seen": "normal", "summary": "走访了解生产经营情况"}
    data.update(kw)
    return data


FETCH = {"X-Requested-With": "fetch"}


def image_bytes(fmt: str = "JPEG", size=(64, 48), exif=None, **save) -> bytes:
    """A small real image, optionally with EXIF (e.g. GPS data)."""
    out = io.BytesIO()
    img = Image.new("RGB", size, (200, 30, 30))
    if exif is not None:
        save["exif"] = exif
    img.save(out, fmt, **save)
    return out.getvalue()


def gps_exif():
    """EXIF with a GPS position and an orientation tag, as a phone writes it."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"       # Make
    exif[0x0112] = 6                  # Orientation: rotate 90° clockwise to view
    gps = {1: "N", 2: (26.0, 4.0, 30.0), 3: "E", 4: (119.0, 17.0, 50.0)}
    exif[0x8825] = gps                # GPSInfo
    return exif
