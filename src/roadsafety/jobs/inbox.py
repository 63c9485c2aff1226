"""The job's inbox: which files are waiting, and moving each to processed/ or rejected/.

Layout (created on first run)::

    inbox/accidents/*.csv|*.parquet          canonical accidents
    inbox/accidents/<format>/*               another adapter's format, e.g. inbox/accidents/baac/
    inbox/challans/...                       the same for challans
    inbox/processed/<YYYY-MM-DD>/<kind>/...  files ingested (with their row accounting in ingest_runs)
    inbox/rejected/<YYYY-MM-DD>/<kind>/...   files that could not be read, each with <name>.reason.txt

Files whose name starts with '.' or ends in '.part' / '.tmp' are still being written and are skipped:
drop files with such a name and rename them when complete.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

KINDS = ("accidents", "challans")
SKIP_SUFFIXES = (".part", ".tmp", ".reason.txt")


@dataclass(frozen=True)
class InboxFile:
    """A waiting file with the kind and format its folder says."""

    path: Path
    kind: str
    fmt: str


def ensure_layout(inbox: Path) -> None:
    """Create the inbox folders."""
    for kind in KINDS:
        (inbox / kind).mkdir(parents=True, exist_ok=True)


def _waiting(path: Path) -> bool:
    return (
        path.is_file() and not path.name.startswith(".") and not path.name.endswith(SKIP_SUFFIXES)
    )


def pending(inbox: Path) -> list[InboxFile]:
    """Waiting files, oldest first (by modification time, then name)."""
    found = []
    for kind in KINDS:
        root = inbox / kind
        if not root.is_dir():
            continue
        found += [InboxFile(p, kind, "canonical") for p in root.iterdir() if _waiting(p)]
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            found += [InboxFile(p, kind, sub.name) for p in sub.iterdir() if _waiting(p)]
    return sorted(found, key=lambda f: (f.path.stat().st_mtime, str(f.path)))


def _target(inbox: Path, outcome: str, item: InboxFile, now: datetime) -> Path:
    folder = inbox / outcome / now.strftime("%Y-%m-%d") / item.kind
    if item.fmt != "canonical":
        folder = folder / item.fmt
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / item.path.name
    if target.exists():
        target = folder / f"{now:%H%M%S}-{item.path.name}"
    return target


def mark_processed(inbox: Path, item: InboxFile, now: datetime | None = None) -> Path:
    """Move an ingested file to processed/."""
    target = _target(inbox, "processed", item, now or datetime.now())
    shutil.move(str(item.path), target)
    return target


def mark_rejected(inbox: Path, item: InboxFile, reason: str, now: datetime | None = None) -> Path:
    """Move a file that could not be loaded to rejected/, with a reason file beside it."""
    now = now or datetime.now()
    target = _target(inbox, "rejected", item, now)
    shutil.move(str(item.path), target)
    target.with_name(target.name + ".reason.txt").write_text(
        f"{now:%Y-%m-%d %H:%M:%S} rejected {item.kind} file {item.path.name} (format {item.fmt}):\n{reason}\n"
    )
    return target
