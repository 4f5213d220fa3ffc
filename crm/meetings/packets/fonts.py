"""The fonts the packets are set in, by role (GB/T 9704 adapted: 小标宋, 仿宋, 黑体,
楷体), and the start-up check of the worker that they are installed.

WeasyPrint silently falls back to another font when one is missing, and a packet set
in the wrong typeface looks like a draft: the worker refuses to start instead and says
which font (and which Debian package) is missing."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class FontRole:
    role: str              # what the font is used for
    families: tuple        # any of these families will do (fontconfig names)
    style: str             # the style needed ("Regular", "Bold")
    package: str           # the Debian package that provides it


ROLES = (
    FontRole("title (小标宋 role)", ("Noto Serif CJK SC",), "Bold", "fonts-noto-cjk"),
    FontRole("body (仿宋 role)", ("Noto Serif CJK SC",), "Regular", "fonts-noto-cjk"),
    FontRole("level-1 headings (黑体 role)", ("Noto Sans CJK SC",), "Bold", "fonts-noto-cjk"),
    FontRole("level-2 headings (楷体 role)", ("LXGW WenKai", "AR PL UKai CN"), "Regular",
             "fonts-lxgw-wenkai"),
)


def installed_styles() -> set[tuple[str, str]]:
    """(family, style) pairs fontconfig knows, every family name and style alias."""
    if shutil.which("fc-list") is None:
        return set()
    out = subprocess.run(["fc-list", ":", "family", "style"], capture_output=True,
                         text=True, check=False).stdout
    pairs = set()
    for line in out.splitlines():
        families, _sep, styles = line.partition(":style=")
        for family in families.split(","):
            for style in styles.split(","):
                pairs.add((family.strip(), style.strip()))
    return pairs


def missing_fonts(installed: set[tuple[str, str]] | None = None) -> list[FontRole]:
    """The roles none of whose families is installed in the needed style."""
    installed = installed_styles() if installed is None else installed
    return [r for r in ROLES
            if not any((family, r.style) in installed for family in r.families)]


def describe(missing: list[FontRole]) -> str:
    """A clear message naming each missing font, its role and the package to install."""
    lines = ["Packet fonts missing — packets would be set in a fallback typeface:"]
    for r in missing:
        lines.append(f"  - {' or '.join(r.families)} {r.style}, for the {r.role}: "
                     f"apt-get install {r.package} (scripts/bootstrap.sh installs it)")
    return "\n".join(lines)
