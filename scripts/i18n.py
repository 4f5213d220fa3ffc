"""Translation upkeep: ``python scripts/i18n.py update`` re-extracts the messages and
merges them into the Chinese catalogue; ``python scripts/i18n.py fill FILE`` sets
translations from a UTF-8 file of ``English<TAB>中文`` lines; ``missing`` lists what is
still untranslated; ``compile`` writes the .mo files."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "crm" / "translations"
PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
POT = ROOT / "build" / "messages.pot"


def _babel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def update() -> None:
    POT.parent.mkdir(exist_ok=True)
    _babel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_ngettext:1,2",
           "--no-location", "--omit-header",
           "--sort-output", "-o", str(POT), ".")
    _babel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "zh_Hans_CN",
           "--no-fuzzy-matching", "--ignore-obsolete")
    missing()


def fill(path: str) -> None:
    pairs = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            en, zh = line.split("\t", 1)
            pairs[en.replace("\\n", "\n")] = zh.replace("\\n", "\n")
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    hit = 0
    for message in catalog:
        if message.id in pairs:
            message.string = pairs[message.id]
            message.flags.discard("fuzzy")
            hit += 1
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
    print(f"filled {hit} of {len(pairs)}")
    missing()


def missing() -> int:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    todo = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    for msgid in todo:
        print(f"untranslated: {msgid!r}")
    return len(todo)


def compile_() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    with PO.with_suffix(".mo").open("wb") as fh:
        write_mo(fh, catalog)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "update"
    if cmd == "update":
        update()
    elif cmd == "fill":
        fill(sys.argv[2])
    elif cmd == "missing":
        sys.exit(1 if missing() else 0)
    elif cmd == "compile":
        compile_()
    else:
        sys.exit(__doc__)
