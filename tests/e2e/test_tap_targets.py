"""Every visible link and button on the commissioner's and the leader's phone pages is at
least 44×44 px (WCAG 2.5.5 / Apple HIG), measured in real Chromium at 390×844, and no
emoji stands in for an icon."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from crm.core.notify import notify
from crm.core.timeutil import local_today
from crm.extensions import db
from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

MIN = 44

# What a finger can hit: links, buttons, form controls, folded-section lines. A control
# that is visually hidden behind its label (Bootstrap's btn-check) is hit through the
# label; a checkbox or radio is hit through itself and its label together.
MEASURE = """() => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  const out = [];
  const visible = el => {
    const r = el.getBoundingClientRect();
    const st = getComputedStyle(el);
    const shown = el.checkVisibility ? el.checkVisibility({visibilityProperty: true,
      contentVisibilityAuto: true}) : true;  // content of a closed <details> is not shown
    return shown && r.width > 0 && r.height > 0 && st.visibility !== 'hidden'
      && st.display !== 'none' && el.getClientRects().length > 0;
  };
  for (const el of document.querySelectorAll(sel)) {
    if (el.closest('#visit-sync')) continue;
    let rect = el.getBoundingClientRect();
    if (el.matches('input.btn-check, input.visually-hidden, input[type=file]')) continue;
    if (!visible(el)) continue;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const label = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`))
        || el.closest('label');
      if (label && visible(label)) {
        const l = label.getBoundingClientRect();
        const left = Math.min(rect.left, l.left), top = Math.min(rect.top, l.top);
        rect = {width: Math.max(rect.right, l.right) - left,
                height: Math.max(rect.bottom, l.bottom) - top};
      }
    }
    out.push({tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || el.name
              || el.getAttribute('aria-label') || '').trim().slice(0, 30),
              w: Math.round(rect.width * 10) / 10, h: Math.round(rect.height * 10) / 10});
  }
  for (const el of document.querySelectorAll('label.btn')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    out.push({tag: 'label', text: el.innerText.trim().slice(0, 30),
              w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10});
  }
  return out;
}"""

EMOJI = r"[\U0001F300-\U0001FAFF\u2600-\u27BF]"


@pytest.fixture
def phone_world(live_app):
    with live_app.app_context():
        town = factories.unit("城关镇", kind="town")
        unit = factories.unit("人社局")
        com = factories.user(["commissioner"], username="wang", display_name="王小明",
                             unit=town)
        leader = factories.user(["leader"], username="leader", display_name="李市长",
                                phone="13800000001")
        deputy = factories.user(["leader"], display_name="王副市长", phone="13800000002")
        ent = factories.enterprise("兴发制管有限公司", industry="C", town_id=town.id,
                                   address="城关镇工业园区兴业路 8 号")
        other = factories.enterprise("博远食品有限公司", town_id=town.id)
        for e in (ent, other):
            factories.assignment(e, com)
            factories.assignment(e, leader, "leader_a")
            factories.assignment(e, deputy, "leader_b")
        factories.contact(ent, name="赵经理", phone="13900000000", is_primary=True)
        red = factories.red_issue(ent, com, title="用电增容审批超期", lead_unit_id=unit.id)
        factories.yellow_issue(ent, com, title="招工缺口 30 人", lead_unit_id=unit.id)
        factories.issue(ent, com, state="closed", title="道路维修", closed_at=None)
        factories.policy("制造业技术改造专项补贴", industries="C")
        factories.category("用电用能")
        for days in (1, 8, 15, 22):
            factories.visit(ent, com, visit_date=local_today() - timedelta(days=days))
        notify([com.id, leader.id], "test", "用电增容审批已超期", link=f"/problems/{red.id}")
        db.session.commit()
        return {"ent": ent.id, "red": red.id}


def measure(page, name: str, path: str, results: dict) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    items = page.evaluate(MEASURE)
    assert items, f"nothing interactive found on {path}"
    small = [i for i in items if i["w"] < MIN or i["h"] < MIN]
    smallest = min(items, key=lambda i: (min(i["w"], i["h"]), i["w"] * i["h"]))
    results[name] = (len(items), smallest)
    assert not small, f"{name} ({path}): targets under {MIN} px: {small}"
    assert not re.search(EMOJI, page.inner_text("body")), f"{name}: an emoji is shown"


def report(who: str, results: dict) -> None:
    print(f"\nSMALLEST TAP TARGET per {who} page at 390x844:")
    for name, (count, s) in results.items():
        print(f"  {name}: {s['w']:.0f}×{s['h']:.0f} px ({s['tag']} '{s['text']}'; "
              f"{count} targets measured)")


def test_commissioner_pages_have_44px_targets(live_app, phone, phone_world):
    sign_in(phone, "wang", factories.PASSWORD)
    results: dict = {}
    try:
        measure(phone, "week", "/visits/week", results)
        measure(phone, "visit form", f"/visits/new/{phone_world['ent']}", results)
        for testid in ("section-basics", "section-policy", "section-factor", "section-flags",
                       "section-more", "section-photos"):
            phone.get_by_test_id(testid).locator("summary").tap()
        phone.get_by_test_id("add-problem").tap()
        items = phone.evaluate(MEASURE)
        small = [i for i in items if i["w"] < MIN or i["h"] < MIN]
        assert not small, f"visit form, all sections open: {small}"
        results["visit form (all open)"] = (len(items), min(
            items, key=lambda i: (min(i["w"], i["h"]), i["w"] * i["h"])))
        measure(phone, "enterprise", f"/enterprises/{phone_world['ent']}", results)
        measure(phone, "problem", f"/problems/{phone_world['red']}", results)
        measure(phone, "notifications", "/notifications", results)
    finally:
        report("commissioner", results)


def test_leader_pages_have_44px_targets(live_app, phone, phone_world):
    sign_in(phone, "leader", factories.PASSWORD)
    results: dict = {}
    try:
        measure(phone, "portfolio", "/enterprises/mine", results)
        measure(phone, "enterprise", f"/enterprises/{phone_world['ent']}", results)
        measure(phone, "problem", f"/problems/{phone_world['red']}", results)
        measure(phone, "notifications", "/notifications", results)
    finally:
        report("leader", results)


def test_enterprise_page_on_the_phone_puts_what_matters_first(live_app, phone, phone_world):
    sign_in(phone, "wang", factories.PASSWORD)
    phone.goto(f"/enterprises/{phone_world['ent']}")
    y = {t: phone.get_by_test_id(t).bounding_box()["y"]
         for t in ("contacts", "open-problems", "closed-problems", "visits", "people",
                   "profile")}
    assert y["contacts"] < y["open-problems"] < y["closed-problems"] < y["visits"] \
        < y["people"] < y["profile"]
    call = phone.get_by_test_id("contact-phone")
    assert call.get_attribute("href") == "tel:13900000000"
    box = call.bounding_box()
    assert box["y"] < 844 * 1.5  # within the first screen and a half
    geo = phone.get_by_test_id("address-geo")
    assert geo.get_attribute("href").startswith("geo:0,0?q=")
    lights = [el.get_attribute("data-light") for el in
              phone.get_by_test_id("open-problem").locator("[data-light]").all()]
    assert lights == ["red", "yellow"]
    assert phone.get_by_test_id("visits").locator("[data-testid=visit]:visible").count() == 3
    phones = phone.get_by_test_id("leader-phone").all_inner_texts()
    assert phones == ["13800000001", "13800000002"]
    print(f"\nENTERPRISE PAGE ON THE PHONE: contact's tel: link at y={box['y']:.0f} px, "
          f"{box['width']:.0f}×{box['height']:.0f} px")
