"""统一社会信用代码 (GB 32100-2015): the checksum, the form's messages, duplicates."""
import pytest

from crm.enterprises import credit_code as cc
from crm.enterprises.models import Enterprise
from crm.extensions import db
from tests import factories


@pytest.mark.parametrize("code", [
    "91350100M000100Y43",   # the example from the standard's commentary
    "91350100m000100y43",   # lower case is normalised
    " 9135 0100M000100Y43 ",  # pasted with spaces
    "91110000100013343M",
    cc.make("12340000MB0000000"),
])
def test_valid_codes(code):
    assert cc.is_valid(code)


@pytest.mark.parametrize("code", [
    "91350100M000100Y4Z",   # same code, wrong check character
    "91350100M000100Y44",
    "91350100M000100Y4",    # 17 characters
    "91350100M000100Y433",  # 19 characters
    "91350100O000100Y43",   # O is not in the character set
    "",
])
def test_invalid_codes(code):
    assert not cc.is_valid(code)


def test_check_character_thirty_one_becomes_zero():
    # Search for a prefix whose weighted sum is divisible by 31: the check is "0".
    for n in range(1000):
        first17 = f"9135010000000{n:04d}"
        if sum(cc._VALUE[c] * w for c, w in zip(first17, cc.WEIGHTS)) % 31 == 0:
            assert cc.check_char(first17) == "0"
            assert cc.is_valid(first17 + "0")
            return
    pytest.fail("no prefix with sum divisible by 31 found")


def _form(**overrides):
    data = {"name": "宏达机械有限公司", "credit_code": "91350100M000100Y43", "status": "normal",
            "town_id": "0", "industry": "C", "cluster": "", "scale": "", "size": "",
            "ownership": "", "employees": "", "annual_output": ""}
    data.update(overrides)
    return data


@pytest.mark.parametrize("code, message", [
    ("91350100M000100Y44", "校验位"),
    ("91350100M000100Y4Z", "不会出现的字符：Z"),
    ("91350100M000100", "18 位"),
    ("91350100O000100Y43", "O"),
])
def test_form_explains_a_wrong_code_and_keeps_the_typing(client, login_as, code, message):
    login_as("coordinator")
    response = client.post_form("/enterprises/new",
                                _form(credit_code=code, address="城关镇工业路 8 号"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert "城关镇工业路 8 号" in html and "宏达机械有限公司" in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Enterprise)) == 0


def test_duplicate_code_is_refused_with_a_link_to_the_existing_enterprise(client, login_as):
    existing = factories.enterprise("兴发制管有限公司", credit_code="91350100M000100Y43")
    db.session.commit()
    login_as("coordinator")
    response = client.post_form("/enterprises/new", _form(name="另一家公司"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "已登记" in html
    assert f'href="/enterprises/{existing.id}"' in html and "兴发制管有限公司" in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Enterprise)) == 1
