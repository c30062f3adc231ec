r"""Problem and student ids: what an id may be, and the file name each problem's solution gets.

An id is data, never a path. It is a string or an integer (``1`` and ``"1"`` are the same id, ``"1"``), of
1 to 255 bytes in UTF-8, without control characters (NUL, newline, tab, ...). The file a problem's solution
is written to is derived from its id, never taken from it:

1. the **slug**: the id with every character other than ``A-Z a-z 0-9 . _ -`` replaced by ``_``, a leading
   ``.`` by ``_`` (no hidden files, no ``..``), cut to 64 characters;
2. the name is the slug itself when the slug *is* the id, and the id is not one of the names the output
   folder uses itself (``index``, ``summary``, ``grades``), nor a device name of Windows (``con``, ``nul``,
   ``com1``, ...), nor shaped like a hashed name (ending in ``-`` and 10 hexadecimal digits);
3. otherwise it is ``slug-HHHHHHHHHH``, the first 10 hexadecimal digits of the SHA-256 of the id in UTF-8;
4. names are compared without regard to case (macOS and Windows fold case): when one is already taken, by the
   id before it in sorted order, the hash is lengthened (16 digits, then all 64).

So ``p1`` gives ``p1.md``; ``../../evil`` gives ``_._.._evil-<hash>.md`` and ``/srv/x`` gives
``_srv_x-<hash>.md``, both inside the output folder; ``index`` gives ``index-<hash>.md``; and the index
(``index.json``) maps every id to its file.

Example:
    >>> names = file_names(["p1", "a/b", "index"], "md")
    >>> names["p1"], names["a/b"][:4], names["index"][:6]
    ('p1.md', 'a_b-', 'index-')
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["MAX_ID_BYTES", "InvalidId", "check_id", "file_names", "slug"]

MAX_ID_BYTES = 255
SLUG_LENGTH = 64
RESERVED = frozenset(
    {"index", "summary", "grades", "con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)}
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_HASHED = re.compile(r"-[0-9a-f]{10,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidId(ValueError):
    """An id that cannot be used; the message says why."""


def check_id(value: Any, what: str = "id") -> str:
    """The id as text, or :class:`InvalidId` saying why it cannot be one.

    Example:
        >>> check_id(7), check_id("q 1")
        ('7', 'q 1')
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        kind = "missing" if value is None else f"a JSON {_json_kind(value)}"
        raise InvalidId(f"the {what} must be text or a whole number, not {kind}")
    text = str(value)
    if not text.strip():
        raise InvalidId(f"the {what} is empty")
    try:
        n = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidId(f"the {what} is not valid Unicode text (it holds a lone surrogate)") from None
    if n > MAX_ID_BYTES:
        raise InvalidId(f"the {what} is {n} bytes long; at most {MAX_ID_BYTES} bytes (UTF-8)")
    bad = _CONTROL.search(text)
    if bad:
        raise InvalidId(f"the {what} contains the control character U+{ord(bad.group()):04X}")
    return text


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, float):
        return "decimal number"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def slug(text: str) -> str:
    """The safe part of a file name made from ``text`` (see the module docstring).

    Example:
        >>> slug("../../evil"), slug("q 1")
        ('_._.._evil', 'q_1')
    """
    s = _UNSAFE.sub("_", text)
    if s.startswith("."):
        s = "_" + s[1:]
    return s[:SLUG_LENGTH] or "_"


def _plain(text: str) -> bool:
    """May the id be its own file name?"""
    return slug(text) == text and text.lower() not in RESERVED and not _HASHED.search(text)


def file_names(ids: Iterable[str], ext: str) -> dict[str, str]:
    """Each id's file name (with ``.ext``); distinct ids get names distinct even without regard to case."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for text in sorted(set(ids)):
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        candidates = [text] if _plain(text) else []
        candidates += [f"{slug(text)}-{digest[:n]}" for n in (10, 16, 64)]
        for stem in candidates:
            if stem.lower() not in taken:
                break
        else:  # pragma: no cover - two ids with one SHA-256
            raise AssertionError(f"no free file name for id {text!r}")
        taken.add(stem.lower())
        names[text] = f"{stem}.{ext}"
    return names
