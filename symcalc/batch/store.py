r"""The output folder of a batch run: one run at a time, atomic files, one file mode, the shard records.

- **Lock.** A run holds an exclusive lock (``flock``) on ``DIR/.lock`` from start to end; a second run on the
  same folder stops at once with :class:`FolderInUse`, naming the process that holds it. The lock ends with
  the process, however it ends (``kill -9`` included), so a killed run never leaves a stale lock.
- **Atomic files.** Every file is written to a temporary name in the same folder, flushed to disk and renamed
  over the old one: a reader (or a killed run) sees the old file or the new one, never half of one.
- **One mode.** Every file the run writes (solutions, ``index.*``, ``summary.*``, ``grades.csv``,
  ``grades.sqlite``, the shard records) gets the mode an ordinary ``open()`` would give it: ``0666`` less the
  umask, usually ``0644``. Grades are personal data: run with ``umask 077`` (or keep ``DIR`` in a private
  folder) to make them readable by their owner only.
- **Shard records.** ``DIR/.shards/<shard id>.jsonl`` holds one JSON record per problem computed, keyed by a
  hash of the problem's content; a rerun reads them all and computes only what is missing.

Example:
    >>> import tempfile
    >>> with OutputFolder(tempfile.mkdtemp()) as folder:
    ...     folder.write_text("note.txt", "hello")
    ...     (folder.path / "note.txt").read_text()
    'hello'
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import SymcalcError

__all__ = ["FolderInUse", "OutputFolder", "file_mode"]

LOCK_NAME = ".lock"
SHARDS = ".shards"
TMP_PREFIX = ".tmp-"


class FolderInUse(SymcalcError):
    """Another run holds the output folder's lock."""


def file_mode() -> int:
    """``0o666`` less the process's umask: the mode every output file gets."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere the umask can only be read by setting it
    os.umask(mask)
    return 0o666 & ~mask


class OutputFolder:
    """The locked output folder of one run (a context manager)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.mode = file_mode()
        self._fd: int | None = None

    # -- the lock ---------------------------------------------------------------------------------------

    def __enter__(self) -> OutputFolder:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            (self.path / SHARDS).mkdir(exist_ok=True)
        except FileExistsError:
            raise SymcalcError(f"{self.path}: exists and is not a folder") from None
        except OSError as err:
            raise SymcalcError(
                f"{self.path}: cannot be used as the output folder ({err.strerror or err})"
            ) from None
        lock = self.path / LOCK_NAME
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, self.mode)
        except OSError as err:
            raise SymcalcError(f"{lock}: cannot be created ({err.strerror or err})") from None
        if not _try_lock(fd):
            holder = _read_small(fd)
            os.close(fd)
            who = f" (process {holder})" if holder else ""
            raise FolderInUse(
                f"{self.path} is in use by another symcalc run{who}; wait for it to finish, or choose another --out"
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        self._remove_stale_temporaries()
        return self

    def __exit__(self, *exc: Any) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # an empty lock file: the folder looks the same after every run
            _unlock(fd)
            os.close(fd)

    def _remove_stale_temporaries(self) -> None:
        """Temporary files of a run that was killed mid-write (safe: this run holds the lock)."""
        for folder in (self.path, self.path / SHARDS):
            for tmp in folder.glob(TMP_PREFIX + "*"):
                with contextlib.suppress(OSError):
                    tmp.unlink()

    # -- files ------------------------------------------------------------------------------------------

    def temporary(self, suffix: str = "") -> Path:
        """A new empty file in the folder, with the folder's mode, to be renamed over its final name."""
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=TMP_PREFIX, suffix=suffix)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, self.mode)
        os.close(fd)
        return Path(tmp)

    def write_text(self, name: str, text: str, folder: Path | None = None) -> None:
        """Write ``name`` (a plain file name, never a path from the input) atomically."""
        write_atomic((folder or self.path) / name, text.encode("utf-8"), self.mode)

    def replace(self, tmp: Path, name: str) -> None:
        """Move a finished temporary file (from :meth:`temporary`) over ``name``, durably."""
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / name)

    # -- shard records ----------------------------------------------------------------------------------

    @property
    def shards(self) -> Path:
        return self.path / SHARDS

    def load_records(self) -> dict[str, list[dict[str, Any]]]:
        """Every record in the shard files, by problem key, in file-name order. A file that cannot be read
        whole (edited by hand, say) is skipped: its problems are computed again."""
        found: dict[str, list[dict[str, Any]]] = {}
        for path in sorted(self.shards.glob("*.jsonl")):
            if path.name.startswith("."):
                continue
            try:
                records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
            except (OSError, ValueError):
                continue
            if not all(isinstance(r, dict) and isinstance(r.get("key"), str) for r in records):
                continue
            for rec in records:
                found.setdefault(rec["key"], []).append(rec)
        return found

    def write_records(self, shard_id: str, records: Iterable[dict[str, Any]]) -> None:
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
        self.write_text(f"{shard_id}.jsonl", text, folder=self.shards)


def write_atomic(path: Path, data: bytes, mode: int, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and rename it over ``path``.

    ``durable`` flushes the data to disk before the rename (the shard records and the indexes: what a rerun
    relies on); a solution file, which a rerun writes again from the records, is renamed without it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX, suffix=path.suffix)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_small(fd: int) -> str:
    try:
        return os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""


try:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 1 << 20, 0)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(fd, 1 << 20, 0)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
