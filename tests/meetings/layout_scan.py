"""Reading a packet PDF page by page as a reader does (poppler's pdftotext and
pdffonts): the lines of each page within the type area, a heading stranded as a
page's last line, pages under 20 % full, and the embedded font families."""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

MM = 72 / 25.4
TOP, BOTTOM = 37 * MM, (297 - 35) * MM     # the GB/T 9704 type area (37 mm / 35 mm)
TYPE_HEIGHT = BOTTOM - TOP


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


@dataclass
class Page:
    number: int
    lines: list[tuple[float, float, str]] = field(default_factory=list)  # yMin, yMax, text

    @property
    def fill(self) -> float:
        """How far down the type area the page's text reaches (0–1)."""
        if not self.lines:
            return 0.0
        return (max(y1 for _y0, y1, _t in self.lines) - TOP) / TYPE_HEIGHT

    @property
    def first(self) -> str:
        return self.lines[0][2] if self.lines else ""

    @property
    def last(self) -> str:
        return self.lines[-1][2] if self.lines else ""


def pages(pdf: Path) -> list[Page]:
    """Each page's text lines inside the type area (running header and page number
    left out), top to bottom, whitespace removed."""
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                         check=True).stdout
    root = etree.fromstring(out, etree.HTMLParser(encoding="utf-8"))
    result = []
    for n, page in enumerate(root.iter("page"), 1):
        p = Page(n)
        for line in page.iter("line"):
            y0, y1 = float(line.get("ymin")), float(line.get("ymax"))
            text = _squash("".join(w.text or "" for w in line.iter("word")))
            if text and y0 >= TOP - 2 and y1 <= BOTTOM + 2:
                p.lines.append((y0, y1, text))
        p.lines.sort()
        result.append(p)
    return result


def headings(html: str) -> tuple[set[str], set[str]]:
    """(every heading's text, the headings that open a section on a new page) of the
    packet's HTML."""
    doc = lxml_html.fromstring(html.encode())
    every = {_squash(h.text_content()) for h in doc.iter("h1", "h2", "h3", "h4")}
    opening = set()
    for el in doc.iter("section", "div"):
        classes = (el.get("class") or "").split()
        if {"section", "dossier", "toc"} & set(classes) and "flow" not in classes:
            first = next(iter(el.iter("h2", "h3")), None)
            if first is not None:
                opening.add(_squash(first.text_content()))
    return {h for h in every if h}, opening


# Headings are set at 12–16 pt, table text at 9–10.5 pt: a line this tall (its box, in
# points) can be a heading; a table cell with a name equal to a heading cannot.
HEADING_HEIGHT = 16.5


def _is_heading(line: tuple[float, float, str], every: set[str]) -> bool:
    y0, y1, text = line
    if y1 - y0 < HEADING_HEIGHT:
        return False
    return any(text == h or (len(text) >= 4 and (h.startswith(text) or h.endswith(text)))
               for h in every)


def stranded_headings(doc_pages: list[Page], every: set[str]) -> list[tuple[int, str]]:
    """Pages whose last line is a heading (or a part of a wrapped one)."""
    return [(p.number, p.last) for p in doc_pages[:-1]
            if p.lines and "…" not in p.last and _is_heading(p.lines[-1], every)]


def mostly_blank(doc_pages: list[Page], opening: set[str], *, limit: float = 0.2,
                 section_ends: bool = True) -> list[tuple[int, float]]:
    """Pages under ``limit`` full other than the cover, the last page, and (with
    ``section_ends``) a page whose successor opens a new section."""
    bad = []
    for i, p in enumerate(doc_pages):
        if i == 0 or i == len(doc_pages) - 1 or p.fill >= limit:
            continue
        following = doc_pages[i + 1].first
        if section_ends and any(following == h or (len(following) >= 4 and h.startswith(following))
                                for h in opening):
            continue
        bad.append((p.number, round(p.fill, 2)))
    return bad


def font_families(pdf: Path) -> set[str]:
    """The embedded font names pdffonts lists (subset prefixes removed)."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                         check=True).stdout.splitlines()[2:]
    return {line.split()[0].split("+", 1)[-1] for line in out if line.strip()}
