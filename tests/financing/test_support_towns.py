"""停减产 list at province scale: beyond ``support.LIST_ALL`` enterprises it shows each
town's counts first, each town a link to its own enterprises (no page lists thousands)."""
from __future__ import annotations

import re
from datetime import date

from crm.extensions import db
from crm.financing.models import SupportCase
from tests import factories


def test_many_stopped_enterprises_are_counted_by_town_and_listed_per_town(
        client, login_as, monkeypatch):
    monkeypatch.setattr("crm.financing.support.LIST_ALL", 2)
    east = factories.unit("东镇", kind="town")
    west = factories.unit("西镇", kind="town")
    halted = factories.enterprise("东镇停产企业", status="halted", town_id=east.id)
    factories.enterprise("东镇减产企业", status="reduced", town_id=east.id)
    factories.enterprise("西镇减产企业", status="reduced", town_id=west.id)
    factories.enterprise("西镇正常企业", town_id=west.id)
    db.session.add(SupportCase(enterprise_id=halted.id, status="halted",
                               since=date(2026, 11, 1),
                               reason="funds"))
    db.session.commit()
    login_as("coordinator")
    page = client.get("/financing/support/").get_data(as_text=True)
    assert "东镇停产企业" not in page and 'data-testid="support-row"' not in page
    rows = re.findall(r'<tr data-testid="support-town-count">(.*?)</tr>', page, re.S)
    cells = [re.findall(r'>([^<>]+)</(?:a|td)>', r) for r in rows]
    assert cells == [["东镇", "1", "1", "1"], ["西镇", "0", "1", "1"]]
    link = re.search(r'href="([^"]+)">东镇<', page).group(1)
    town = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "东镇停产企业" in town and "东镇减产企业" in town and "西镇减产企业" not in town
    assert town.count('data-testid="support-row"') == 2
