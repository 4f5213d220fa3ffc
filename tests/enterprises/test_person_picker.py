"""Person fields are searched as you type: a lookup that answers names, forms that take
the chosen id or, without script, a name that matches exactly one person."""
from sqlalchemy import select

from crm.core.timeutil import local_today
from crm.enterprises.models import Assignment
from crm.extensions import db
from tests import factories


def _people(app):
    unit = factories.unit("发改委")
    return {
        "coordinator": factories.user(roles=["coordinator"]),
        "li": factories.user(roles=["leader"], display_name="李建国", unit=unit),
        "li2": factories.user(roles=["commissioner"], display_name="李建国"),
        "gone": factories.user(roles=["leader"], display_name="李已调离", is_active=False),
        "zhang": factories.user(roles=["commissioner"], display_name="张特派"),
        "ent": factories.enterprise("兴发制管有限公司"),
    }


def test_lookup_answers_active_people_of_the_role(app, client, login_as):
    cast = _people(app)
    db.session.commit()
    login_as(cast["coordinator"])
    leaders = client.get("/enterprises/people.json?role=leader&q=李").get_json()["people"]
    assert [p["id"] for p in leaders] == [cast["li"].id]  # not the inactive one
    assert leaders[0]["label"].startswith("李建国")
    both = client.get("/enterprises/people.json?role=leader,commissioner&q=李建国").get_json()
    labels = sorted(p["label"] for p in both["people"])
    assert len(labels) == 2 and any("帮扶特派员" in x for x in labels) \
        and any("市级领导" in x for x in labels)
    assert client.get("/enterprises/people.json?role=admin&q=李").get_json() == {"people": []}
    assert client.get("/enterprises/people.json?role=leader").get_json() == {"people": []}


def test_lookup_needs_sign_in(app, client):
    response = client.get("/enterprises/people.json?role=leader&q=李")
    assert response.status_code in (302, 401)


def test_assign_by_typed_name_without_script(app, client, login_as):
    cast = _people(app)
    db.session.commit()
    login_as(cast["coordinator"])
    ent = cast["ent"]
    today = local_today().isoformat()
    # The unique commissioner 张特派, typed, no id.
    response = client.post_form(f"/enterprises/{ent.id}/assign/commissioner", {
        "commissioner-user_id": "", "commissioner-user_id-text": "张特派",
        "commissioner-start_date": today}, follow_redirects=True)
    assert "已保存" in response.get_data(as_text=True)
    assert db.session.scalar(select(Assignment.user_id).where(
        Assignment.enterprise_id == ent.id, Assignment.role == "commissioner")) == \
        cast["zhang"].id
    # A name nobody with the role has: a message, nothing written.
    response = client.post_form(f"/enterprises/{ent.id}/assign/leader_a", {
        "leader_a-user_id": "", "leader_a-user_id-text": "张特派",
        "leader_a-start_date": today}, follow_redirects=True)
    assert "没有可担任此角色的同名人员" in response.get_data(as_text=True)
    # An inactive person's id: refused.
    response = client.post_form(f"/enterprises/{ent.id}/assign/leader_a", {
        "leader_a-user_id": str(cast["gone"].id), "leader_a-start_date": today},
        follow_redirects=True)
    assert "请从列表中选择一位在职人员" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Assignment).where(
        Assignment.enterprise_id == ent.id, Assignment.role == "leader_a")) == 0


def test_two_people_with_one_name_must_be_chosen_from_the_list(app, client, login_as):
    cast = _people(app)
    factories.user(roles=["leader"], display_name="李建国")
    db.session.commit()
    login_as(cast["coordinator"])
    ent = cast["ent"]
    response = client.post_form(f"/enterprises/{ent.id}/assign/leader_a", {
        "leader_a-user_id-text": "李建国", "leader_a-start_date": local_today().isoformat()},
        follow_redirects=True)
    assert "有多位同名人员，请从列表中选择" in response.get_data(as_text=True)


def test_filtered_lists_show_the_chosen_person_and_no_people_lists(app, client, login_as):
    cast = _people(app)
    factories.assignment(cast["ent"], cast["li"], "leader_a")
    other = factories.enterprise("远东纺织有限公司")
    db.session.commit()
    login_as(cast["coordinator"])
    html = client.get(f"/enterprises/?leader={cast['li'].id}").get_data(as_text=True)
    assert "兴发制管有限公司" in html and "远东纺织有限公司" not in html
    assert 'value="李建国' in html  # the picker shows who the list is filtered by
    assert "张特派" not in html  # nobody else is listed in the page
    assert other.name not in client.get(
        f"/problems/?leader={cast['li'].id}").get_data(as_text=True)
    problems = client.get(f"/problems/?commissioner={cast['zhang'].id}").get_data(as_text=True)
    assert 'value="张特派' in problems
