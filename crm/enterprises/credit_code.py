"""统一社会信用代码 (GB 32100-2015): validation and check-digit computation."""
from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 3^(i-1) mod 31 for positions 1..17
_VALUE = {c: i for i, c in enumerate(CHARSET)}


def check_char(first17: str) -> str:
    """The 18th (check) character for the first seventeen characters."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS))
    value = 31 - total % 31
    return CHARSET[0 if value == 31 else value]


def normalise(code: str) -> str:
    """Upper-case and strip spaces (people paste codes with spaces)."""
    return "".join((code or "").split()).upper()


def is_valid(code: str) -> bool:
    """True for an 18-character code from the GB 32100 set with a correct check digit."""
    code = normalise(code)
    if len(code) != 18 or any(c not in _VALUE for c in code):
        return False
    return check_char(code[:17]) == code[17]


def make(first17: str) -> str:
    """Complete seventeen characters into a valid code (used by demo data)."""
    return first17 + check_char(first17)
