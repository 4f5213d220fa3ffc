"""Which policies fit an enterprise is decided in SQL (a province has a thousand
policies) and agrees with ``policy_fits``; the enterprise page shows the newest ten
and says how many fit."""
import itertools
from datetime import timedelta

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.liaisons.policies import (matching_policies, newest_matching, policy_fits,
                                   valid_policies)
from tests import factories

LISTS = {
    "industries": ["", "C", "C,I", " C , F ", "F"],
    "scales": ["", "above", "below"],
    "ownerships": ["", "private", "state,private"],
    "clusters": ["", "先进制造", "绿色食品,新材料"],
}


def test_sql_eligibility_agrees_with_policy_fits(app):
    for combo in itertools.product(*LISTS.values()):
        factories.policy(**dict(zip(LISTS, combo)))
    factories.policy(industries="C", valid_to=local_today() - timedelta(days=1))  # expired
    ents = [factories.enterprise(industry=i, scale=s, ownership=o, cluster=c)
            for i, s, o, c in [("C", "above", "private", "先进制造"),
                               ("F", "below", "state", "新材料"),
                               (None, None, None, None),
                               ("I", "above", "state", "绿色食品")]]
    db.session.commit()
    for ent in ents:
        found = matching_policies(ent)
        assert found and all(policy_fits(p, ent) for p in found)
        valid = db.session.scalars(valid_policies()).all()
        assert {p.id for p in found} == {p.id for p in valid if policy_fits(p, ent)}
        newest, total = newest_matching(ent, 3)
        assert total == len(found) and newest == found[:3]


def test_enterprise_page_lists_the_newest_ten_and_the_count(app, client, login_as):
    coordinator = factories.user(roles=["coordinator"])
    ent = factories.enterprise("兴发制管有限公司", industry="C")
    for n in range(12):
        factories.policy(title=f"制造业政策{n:02d}", industries="C",
                         valid_from=local_today() - timedelta(days=30 - n))
    factories.policy(title="农业政策", industries="A")
    db.session.commit()
    login_as(coordinator)
    html = client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
    assert "制造业政策11" in html and "制造业政策02" in html
    assert "制造业政策01" not in html and "农业政策" not in html
    assert "最新的 10 项（共 12 项适用政策）" in html
