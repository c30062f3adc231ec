r"""Reading problem sets and submissions, row by row: a bad row is reported with its line, never fatal.

Problems come from ``.jsonl`` (also ``.ndjson``; one JSON object a line) or ``.txt`` (one expression a line;
``#`` starts a comment; the task is ``derivative`` for one variable and ``gradient`` for several; the id is the
line number, ``0007``). Submissions come from a CSV whose header names the columns ``student``, ``problem`` and
``answer`` (in any order, any case; other columns are ignored). Files are UTF-8, with or without the byte order
mark Excel writes.

Every row read carries its ``line`` (the line of the file it starts on; for rows given as Python data, its
position, from 1). A row that cannot be used becomes a :class:`BadRow` with the line and the reason; the
others are used. What makes a row bad:

- a line that is not valid JSON, or is JSON but not an object (an array, a string, a number);
- an id (or student) that is not text or a whole number, is empty, is over 255 bytes in UTF-8, holds a
  control character such as NUL, or repeats an earlier row's id;
- a problem without ``expr``, with an unknown ``task``, a ``check`` problem without ``claim``, a
  ``lagrange`` problem without ``constraints``;
- a CSV row without an answer, or with more fields than the header (an answer with a comma must be quoted);
- any field over 131,072 characters.

Example:
    >>> check_problem({"id": "p1", "expr": "x^2"}, line=1)["task"]
    'auto'
    >>> try:
    ...     check_problem({"id": "p1"}, line=3)
    ... except BadRowError as err:
    ...     print(err.row)
    BadRow(line=3, reason='no expr', source='')
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SymcalcError
from .ids import InvalidId, check_id

__all__ = [
    "MAX_FIELD_CHARS",
    "TASKS",
    "BadRow",
    "BadRowError",
    "check_problem",
    "check_submission",
    "load_problems",
    "load_submissions",
    "read_text",
]

TASKS = ("derivative", "gradient", "hessian", "critical", "lagrange", "check")
MAX_FIELD_CHARS = 131_072
SUBMISSION_COLUMNS = ("student", "problem", "answer")


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be used: the line it starts on, why, and which input it is from.

    Attributes:
        line: the line of the file (1 is the first; a CSV's header is line 1), or the position in a list.
        reason: one sentence.
        source: ``"problems"``, ``"key"`` or ``"submissions"`` once the engine has placed it; ``""`` before.
    """

    line: int
    reason: str
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """``{"source": ..., "line": ..., "reason": ...}``."""
        return {"source": self.source, "line": self.line, "reason": self.reason}


class BadRowError(ValueError):
    """Raised by the row checks; ``row`` is the :class:`BadRow`."""

    def __init__(self, row: BadRow) -> None:
        super().__init__(f"line {row.line}: {row.reason}")
        self.row = row


# -- files ----------------------------------------------------------------------------------------------


def read_text(path: str | Path) -> str:
    """The text of a UTF-8 file (a byte order mark is dropped), or a :class:`SymcalcError` that says what is
    wrong with the file (missing, a folder, unreadable, not UTF-8)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SymcalcError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SymcalcError(f"{path}: is a folder, not a file") from None
    except OSError as err:
        raise SymcalcError(f"{path}: cannot be read ({err.strerror or err})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise SymcalcError(
            f"{path}: line {line} is not UTF-8 text (byte 0x{data[err.start]:02x}); "
            "save the file as UTF-8 (in Excel: 'CSV UTF-8')"
        ) from None


def _lines(text: str) -> Iterator[tuple[int, str]]:
    # split on \n only (str.splitlines also splits on \x0b, \x1c, U+2028 ... inside a JSON string)
    for n, line in enumerate(text.split("\n"), 1):
        yield n, line.removesuffix("\r")


def load_problems(path: str | Path) -> list[dict[str, Any] | BadRow]:
    """The problems in a ``.jsonl`` or ``.txt`` file, one dict per row (with its ``line``), or a
    :class:`BadRow` for a line that is not a JSON object. Blank lines (and ``#`` lines in ``.txt``) are skipped.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".ndjson", ".txt"):
        raise SymcalcError(f"{path}: problems are read from .jsonl (one JSON object a line) or .txt files")
    text = read_text(path)
    rows: list[dict[str, Any] | BadRow] = []
    if suffix == ".txt":
        for n, line in _lines(text):
            if line.strip() and not line.lstrip().startswith("#"):
                rows.append({"id": f"{n:04d}", "task": "auto", "expr": line.strip(), "line": n})
        return rows
    for n, line in _lines(text):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            rows.append(BadRow(n, f"not valid JSON ({err.msg}, column {err.colno})"))
            continue
        except RecursionError:
            rows.append(BadRow(n, "not valid JSON (nested too deeply)"))
            continue
        if not isinstance(value, dict):
            rows.append(BadRow(n, f"a JSON {_kind(value)}, not an object"))
            continue
        value.setdefault("id", f"line{n}")
        value["line"] = n
        rows.append(value)
    return rows


@contextlib.contextmanager
def _long_fields() -> Iterator[None]:
    """Let the csv module read fields of any length (it stops at 131,072 characters otherwise) while a file
    is read; the length is then checked row by row. The limit is module-wide state: it is put back."""
    old = csv.field_size_limit()
    big = sys.maxsize
    while True:
        try:
            csv.field_size_limit(big)
            break
        except OverflowError:  # pragma: no cover - a C long narrower than sys.maxsize
            big //= 2
    try:
        yield
    finally:
        csv.field_size_limit(old)


def load_submissions(path: str | Path) -> list[dict[str, Any] | BadRow]:
    """The rows of a submissions CSV, as dicts keyed by the header's (lower-cased) names plus ``line``, or a
    :class:`BadRow`. The header must name ``student``, ``problem`` and ``answer``."""
    path = Path(path)
    text = read_text(path)
    rows: list[dict[str, Any] | BadRow] = []
    with _long_fields():
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise SymcalcError(
                f"{path}: the file is empty; it needs the header student,problem,answer"
            ) from None
        except csv.Error as err:
            raise SymcalcError(f"{path}: line 1 is not valid CSV ({err})") from None
        missing = [c for c in SUBMISSION_COLUMNS if c not in header]
        if missing:
            raise SymcalcError(
                f"{path}: line 1: the header needs the columns student, problem, answer "
                f"(missing: {', '.join(missing)}; found: {', '.join(header) or 'nothing'})"
            )
        last = reader.line_num
        while True:
            start = last + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                rows.append(BadRow(start, f"not valid CSV ({err})"))
                if reader.line_num == last:  # pragma: no cover - no progress: stop rather than loop
                    break
                last = reader.line_num
                continue
            last = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(fields) > len(header):
                rows.append(
                    BadRow(
                        start,
                        f"{len(fields)} fields where the header has {len(header)} "
                        "(an answer that holds a comma must be in double quotes)",
                    )
                )
                continue
            row: dict[str, Any] = dict(zip(header, fields, strict=False))
            row["line"] = start
            rows.append(row)
    return rows


# -- rows -----------------------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool) or value is None:
        return "literal"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _text_field(row: dict[str, Any], name: str, line: int, *, required: bool) -> str | None:
    value = row.get(name)
    if value is None:
        if required:
            raise BadRowError(BadRow(line, f"no {name}"))
        return None
    if not isinstance(value, str):
        raise BadRowError(BadRow(line, f"the {name} must be text, not a JSON {_kind(value)}"))
    _check_length(value, name, line)
    return value


def _check_length(value: str, name: str, line: int) -> None:
    if len(value) > MAX_FIELD_CHARS:
        raise BadRowError(
            BadRow(line, f"the {name} has {len(value):,} characters; at most {MAX_FIELD_CHARS:,}")
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRowError(BadRow(line, f"the {name} is not valid Unicode text (a lone surrogate)")) from None


def _text_list(row: dict[str, Any], name: str, line: int) -> list[str] | str | None:
    value = row.get(name)
    if value is None or isinstance(value, str):
        return _text_field(row, name, line, required=False)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRowError(BadRow(line, f"the {name} must be text or a list of text"))
    for v in value:
        _check_length(v, name, line)
    return list(value)


def check_problem(row: Any, *, line: int, need_claim: bool = True) -> dict[str, Any]:
    """A problem row, checked and reduced to its fields: ``id`` (text), ``line``, ``task``, ``expr`` and,
    where given, ``vars``, ``claim``, ``constraints``. Raises :class:`BadRowError` for a bad row.
    ``need_claim=False`` for a grading key, whose claims are the students' answers."""
    if isinstance(row, BadRow):
        raise BadRowError(row)
    if not isinstance(row, dict):
        raise BadRowError(BadRow(line, f"a JSON {_kind(row)}, not an object"))
    line = row.get("line", line) if isinstance(row.get("line"), int) else line
    try:
        pid = check_id(row.get("id"))
    except InvalidId as err:
        raise BadRowError(BadRow(line, str(err))) from None
    task = row.get("task", "auto")
    if task not in (*TASKS, "auto"):
        raise BadRowError(BadRow(line, f"unknown task {str(task)[:40]!r}; one of {', '.join(TASKS)}"))
    job: dict[str, Any] = {"id": pid, "line": line, "task": task}
    job["expr"] = _text_field(row, "expr", line, required=True)
    if not job["expr"].strip():
        raise BadRowError(BadRow(line, "the expr is empty"))
    for name in ("vars", "constraints"):
        value = _text_list(row, name, line)
        if value is not None:
            job[name] = value
    claim = _text_list(row, "claim", line)
    if claim is None:
        claim = _text_list(row, "answer", line)
    if claim is not None:
        job["claim"] = claim
    elif task == "check" and need_claim:
        raise BadRowError(BadRow(line, "a check problem needs a claim (the gradient to check)"))
    if task == "lagrange" and "constraints" not in job:
        raise BadRowError(BadRow(line, "a lagrange problem needs constraints"))
    return job


def check_submission(row: Any, *, line: int) -> dict[str, Any]:
    """A submission row reduced to ``student``, ``problem`` (ids, as text), ``answer`` and ``line``; raises
    :class:`BadRowError` for a bad row."""
    if isinstance(row, BadRow):
        raise BadRowError(row)
    if not isinstance(row, dict):
        raise BadRowError(BadRow(line, f"a {_kind(row)}, not a row with student, problem, answer"))
    line = row.get("line", line) if isinstance(row.get("line"), int) else line
    out: dict[str, Any] = {"line": line}
    for name in ("student", "problem"):
        try:
            out[name] = check_id(row.get(name), name)
        except InvalidId as err:
            raise BadRowError(BadRow(line, str(err))) from None
    answer = row.get("answer")
    if answer is None:
        raise BadRowError(BadRow(line, "no answer (the row ends before the answer column)"))
    out["answer"] = _text_field(row, "answer", line, required=True)
    return out
