"""Who sees which enterprise: the list, the export and direct URLs agree, per role."""
import io

import pytest
from openpyxl import load_workbook

from crm.core.timeutil import local_today
from crm.extensions import db
from tests import factories

ALL = {"current", "past", "leader_a", "leader_b", "dispatched", "undispatched", "other"}


@pytest.fixture
def world(app):
    unit = factories.unit("市工信局")
    people = {
        "commissioner": factories.user(roles=["commissioner"], username="com"),
        "leader": factories.user(roles=["leader"], username="lead"),
        "handler": factories.user(roles=["handler"], username="hand", unit=unit),
        "coordinator": factories.user(roles=["coordinator"], username="coord"),
        "admin": factories.user(roles=["admin"], username="adm"),
    }
    ents = {key: factories.enterprise(f"{key}企业有限公司") for key in sorted(ALL)}
    factories.assignment(ents["current"], people["commissioner"])
    factories.assignment(ents["past"], people["commissioner"], end=local_today())
    factories.assignment(ents["leader_a"], people["leader"], "leader_a")
    factories.assignment(ents["leader_b"], people["leader"], "leader_b")
    factories.issue(ents["dispatched"], state="in_progress", lead_unit_id=unit.id)
    factories.issue(ents["undispatched"], state="new", lead_unit_id=unit.id)
    db.session.commit()
    return people, ents


VISIBLE = {
    "commissioner": {"current", "past"},
    "leader": {"leader_a", "leader_b"},
    "handler": {"dispatched"},
    "coordinator": ALL,
    "admin": ALL,
}


def listed(client) -> set[str]:
    html = client.get("/enterprises/?").get_data(as_text=True)
    return {key for key in ALL if f"{key}企业有限公司" in html}


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_list_export_and_direct_urls_agree(client, login_as, world, role):
    people, ents = world
    login_as(people[role])
    assert listed(client) == VISIBLE[role]
    book = load_workbook(io.BytesIO(client.get("/enterprises/export.xlsx").data), read_only=True)
    exported = {r[0] for r in list(book.worksheets[0].iter_rows(values_only=True))[1:]}
    assert exported == {f"{k}企业有限公司" for k in VISIBLE[role]}
    for key, ent in ents.items():
        for path in ("", "/qr"):
            status = client.get(f"/enterprises/{ent.id}{path}").status_code
            assert status == (200 if key in VISIBLE[role] else 404), (key, path, status)
    assert client.get("/enterprises/999999").status_code == 404


@pytest.mark.parametrize("role", ["commissioner", "leader", "handler"])
def test_only_coordinators_and_admins_change_the_registry(client, login_as, world, role):
    people, ents = world
    login_as(people[role])
    visible = ents[sorted(VISIBLE[role])[0]]
    assert client.get("/enterprises/new").status_code == 403
    assert client.get(f"/enterprises/{visible.id}/edit").status_code == 403
    assert client.post_form(f"/enterprises/{visible.id}/delete").status_code == 403
    assert client.get(f"/enterprises/{visible.id}/contacts/new").status_code == 403
    assert client.post_form(f"/enterprises/{visible.id}/assign/commissioner", {}).status_code == 403
    assert client.post_form("/enterprises/bulk-assign", {}).status_code == 403
    # Someone else's enterprise stays invisible rather than forbidden.
    assert client.get(f"/enterprises/{ents['other'].id}/edit").status_code == 404
    page = client.get(f"/enterprises/{visible.id}").get_data(as_text=True)
    assert 'data-testid="edit-link"' not in page and 'data-testid="bulk-form"' not in page


def test_a_former_commissioner_reads_but_cannot_log_visits(client, login_as, world):
    people, ents = world
    login_as(people["commissioner"])
    past = client.get(f"/enterprises/{ents['past'].id}").get_data(as_text=True)
    assert "仅供查看" in past and 'data-testid="log-visit"' not in past
    current = client.get(f"/enterprises/{ents['current'].id}").get_data(as_text=True)
    assert 'data-testid="former-notice"' not in current
    assert f'href="/visits/new/{ents["current"].id}"' in current


def test_portfolio_is_for_leaders(client, login_as, world):
    people, _ents = world
    login_as(people["commissioner"])
    assert client.get("/enterprises/mine").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    _people, ents = world
    for url in ("/enterprises/", f"/enterprises/{ents['current'].id}", "/enterprises/export.xlsx",
                "/enterprises/mine"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
