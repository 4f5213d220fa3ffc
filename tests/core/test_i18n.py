"""The Chinese catalogue is complete and English is selectable."""
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "crm" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def test_every_message_has_a_chinese_translation():
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str)
                                                       else all(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == [] and fuzzy == []


def test_catalogue_covers_every_string_in_the_code():
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    found = set()
    for _fn, _lineno, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    assert sorted(found - known) == []
