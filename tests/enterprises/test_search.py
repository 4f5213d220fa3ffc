"""The enterprise search on its indexes (pg_trgm on PostgreSQL, FTS5 trigram on SQLite)
and the list's keyset pages."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from crm.dossier import queries as dossier
from crm.enterprises import search_index, services
from crm.enterprises.models import Enterprise
from crm.enterprises.queries import search_condition
from crm.extensions import db
from tests import factories
from tests.conftest import count_queries
from tests.enterprises.test_import import good_rows, upload, xlsx
from tests.enterprises.test_list import names


def found(query: str) -> list[str]:
    """Names the search condition finds, by name."""
    return list(db.session.scalars(select(Enterprise.name).where(search_condition(query))
                                   .order_by(Enterprise.name_pinyin)))


@pytest.fixture
def registry(app):
    factories.enterprise("宜昌兴发制管有限公司", credit_code="91420500M00000101L")
    factories.enterprise("豫中青川汽车零部件有限公司", credit_code="91410100M00000202R")
    factories.enterprise("ABC科技有限公司", credit_code="91110000M00000303X")
    factories.enterprise("绿源食品有限公司", credit_code="52350100M00000404A")
    db.session.commit()


@pytest.mark.parametrize("query, expected", [
    # Name fragments: three or more characters (the trigram index), two and one (a scan).
    ("兴发制管", ["宜昌兴发制管有限公司"]),
    ("青川汽车零", ["豫中青川汽车零部件有限公司"]),
    ("制管", ["宜昌兴发制管有限公司"]),
    ("青川", ["豫中青川汽车零部件有限公司"]),
    ("川汽", ["豫中青川汽车零部件有限公司"]),
    ("发制", ["宜昌兴发制管有限公司"]),
    ("管制", []),
    ("汽", ["豫中青川汽车零部件有限公司"]),
    ("有限公司", ["ABC科技有限公司", "绿源食品有限公司", "宜昌兴发制管有限公司",
                 "豫中青川汽车零部件有限公司"]),
    ("abc科技", ["ABC科技有限公司"]),
    ("ABC", ["ABC科技有限公司"]),
    # Pinyin, full or initials, anywhere (the 字号 comes after the place).
    ("xingfa", ["宜昌兴发制管有限公司"]),
    ("Xing Fa", ["宜昌兴发制管有限公司"]),
    ("qingchuanqiche", ["豫中青川汽车零部件有限公司"]),
    ("xfzg", ["宜昌兴发制管有限公司"]),
    ("QCQC", ["豫中青川汽车零部件有限公司"]),
    ("lyspyx", ["绿源食品有限公司"]),
    # One or two letters: the start only.
    ("yc", ["宜昌兴发制管有限公司"]),
    ("lv", ["绿源食品有限公司"]),
    ("xf", []),
    # The credit code by prefix, or its organisation code (positions 9–17) by prefix.
    ("91420500M00000101L", ["宜昌兴发制管有限公司"]),
    ("9142 0500", ["宜昌兴发制管有限公司"]),
    ("52", ["绿源食品有限公司"]),
    ("m00000202", ["豫中青川汽车零部件有限公司"]),
    ("M0000030", ["ABC科技有限公司"]),
    ("0000030", []),
    # Wildcards and quotes are text.
    ("%", []), ("_", []), ('"', []), ("制管\"有", []), ("制*", []), ("管'", []),
    ("\\管", []), ("&|", []), ("司:", []),
])
def test_search_by_name_pinyin_and_code(registry, query, expected):
    assert found(query) == expected


def test_the_list_and_the_visit_list_use_the_same_search(client, login_as, registry):
    commissioner = factories.user(roles=["commissioner"])
    for ent in db.session.scalars(select(Enterprise)):
        factories.visit(ent, commissioner)
    db.session.commit()
    login_as("coordinator")
    for query in ("制管", "xfzg", "M00000101"):
        html = client.get("/enterprises/", query_string={"q": query}).get_data(as_text=True)
        assert names(html) == ["宜昌兴发制管有限公司"]
        visits = client.get("/visits/", query_string={"q": query}).get_data(as_text=True)
        assert "宜昌兴发制管有限公司" in visits and "绿源食品有限公司" not in visits


def test_the_index_follows_edits_and_deletions(app, registry):
    coordinator = factories.user(roles=["coordinator"])
    ent = db.session.scalar(select(Enterprise).where(Enterprise.name.like("%绿源%")))
    services.update_enterprise(ent, {"name": "恒昌纺织有限公司"}, coordinator)
    db.session.commit()
    assert found("绿源食品") == [] and found("lyspyx") == []
    assert found("恒昌纺织") == ["恒昌纺织有限公司"] and found("hcfz") == ["恒昌纺织有限公司"]
    services.update_enterprise(ent, {"credit_code": factories.code(505)}, coordinator)
    db.session.commit()
    assert found("M00000404") == [] and found("M00000505") == ["恒昌纺织有限公司"]
    created = services.create_enterprise({"name": "新登记电子有限公司", "status": "normal",
                                          "credit_code": factories.code(606)}, coordinator)
    db.session.commit()
    assert found("登记电子") == ["新登记电子有限公司"]
    services.delete_enterprise(created, coordinator)
    db.session.commit()
    assert found("登记电子") == []
    if db.engine.dialect.name == "sqlite":  # the FTS index agrees with its table
        db.session.execute(text(
            f"INSERT INTO {search_index.FTS_TABLE}({search_index.FTS_TABLE}) "
            "VALUES ('integrity-check')"))


def test_the_index_follows_an_import(client, login_as):
    factories.unit("城关镇", kind="town")
    for username in ("lishizhang", "wangfu"):
        factories.user(roles=["leader"], username=username)
    for username in ("zhangtp", "liutp"):
        factories.user(roles=["commissioner"], username=username)
    db.session.commit()
    login_as("coordinator")
    batch = upload(client, xlsx(good_rows())).headers["Location"].rsplit("/", 1)[1]
    client.post_form(f"/enterprises/import/{batch}/confirm")
    assert found("发制管") == ["兴发制管有限公司"]
    assert found("lysp") == ["绿源食品有限公司"]


def test_create_all_builds_the_search_objects(app):
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            objects = set(conn.scalars(text(
                "SELECT name FROM sqlite_master WHERE name LIKE 'enterprises_fts%'")))
            assert {"enterprises_fts", "enterprises_fts_ai", "enterprises_fts_ad",
                    "enterprises_fts_au"} <= objects
        else:
            objects = set(conn.scalars(text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'enterprises'")))
            assert search_index.SEARCH_INDEXES <= objects


def test_the_migration_builds_the_search_objects_on_sqlite(tmp_path):
    from flask_migrate import upgrade

    from crm import create_app
    from crm.config import TestConfig

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'm.sqlite3'}"

    application = create_app(Cfg)
    with application.app_context():
        upgrade()
        factories.enterprise("宜昌兴发制管有限公司")
        db.session.commit()
        assert found("发制管") == ["宜昌兴发制管有限公司"]
        assert found("xfzg") == ["宜昌兴发制管有限公司"]
        db.session.remove()


# -- keyset pages ---------------------------------------------------------------------

def _walk(client, url, rel):
    """Follow ``rel`` (next / prev) links from ``url``: each page's names, in order."""
    pages = []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(re.findall(r'data-testid="enterprise-row" data-id="(\d+)"', html))
        link = re.search(rf'rel="{rel}" href="([^"]+)"', html)
        url = link.group(1).replace("&amp;", "&") if link else None
    return pages


@pytest.mark.parametrize("sort", ["name", "updated", "employees", "output", "red"])
def test_next_and_previous_pages_cover_the_list_once(client, login_as, sort):
    for n in range(58):
        # Ties on every key: equal names (pinyin), equal and missing employee numbers.
        factories.enterprise(["同名机械有限公司", "安达有限公司", f"企业{n:02d}有限公司"][n % 3],
                             employees=None if n % 4 == 0 else 10 * (n % 5),
                             annual_output=None if n % 6 == 0 else Decimal(n % 7))
    factories.enterprise("另一个镇的企业有限公司")
    db.session.commit()
    login_as("coordinator")
    expected = [str(e.id) for e in db.session.scalars(
        dossier.filtered(factories.user(roles=["coordinator"]), _flt(sort, "有限")))]
    assert len(expected) == 59
    forward = _walk(client, f"/enterprises/?q=有限&sort={sort}", "next")
    assert [len(p) for p in forward] == [25, 25, 9]
    assert sum(forward, []) == expected
    # Back from the last page to the first, by the previous links.
    html = client.get(f"/enterprises/?q=有限&sort={sort}").get_data(as_text=True)
    second = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    third = re.search(r'rel="next" href="([^"]+)"',
                      client.get(second).get_data(as_text=True)).group(1).replace("&amp;", "&")
    backward = _walk(client, third, "prev")
    assert sum(reversed(backward), []) == expected
    assert "第 3 页，共 3 页" in client.get(third).get_data(as_text=True)


def _flt(sort, q=""):
    from crm.enterprises.queries import ListFilters

    return ListFilters(q=q, sort=sort)


def test_a_link_with_a_broken_place_shows_the_first_page(client, login_as):
    for n in range(30):
        factories.enterprise(f"企业{n:02d}有限公司")
    db.session.commit()
    login_as("coordinator")
    for sort, bad in (("employees", "x"), ("employees", "a~b"), ("employees", "~"),
                      ("employees", "qiye~99999999999"), ("name", "1~2~3"),
                      ("output", "1e999999~1"), ("output", "NaN~1"), ("updated", "2026-13-01~1"),
                      ("name", "qiye~-99999999999")):
        response = client.get("/enterprises/", query_string={"after": bad, "sort": sort})
        assert response.status_code == 200
        assert len(names(response.get_data(as_text=True))) == 25


def test_keyset_pages_cost_what_the_first_does(client, login_as):
    for n in range(60):
        factories.enterprise(f"企业{n:02d}有限公司")
    db.session.commit()
    login_as("coordinator")
    html = client.get("/enterprises/").get_data(as_text=True)
    second = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    third = re.search(r'rel="next" href="([^"]+)"',
                      client.get(second).get_data(as_text=True)).group(1).replace("&amp;", "&")
    back = re.search(r'rel="prev" href="([^"]+)"',
                     client.get(third).get_data(as_text=True)).group(1).replace("&amp;", "&")
    costs = []
    for url in ("/enterprises/", second, third, back, "/enterprises/?q=企业0",
                "/enterprises/?q=qiye", "/enterprises/?q=M000"):
        with count_queries() as q:
            assert client.get(url).status_code == 200
        costs.append(q.count)
    assert len(set(costs)) == 1 and costs[0] <= 12, costs
