"""The problem tests' small county, with phones for the people an enterprise calls."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from crm.extensions import db
from tests.issues.conftest import World, make_world


@pytest.fixture
def world(app) -> World:
    w = make_world()
    w.leader.phone, w.leader_b.phone, w.commissioner.phone = (
        "13900000001", "13900000002", "13900000003")
    db.session.commit()
    return w


def jpeg(color=(200, 30, 30), size=(40, 30)) -> bytes:
    """A small real JPEG photo."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()
