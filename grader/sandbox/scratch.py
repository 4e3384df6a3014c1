"""A run's scratch directory: its layout on the grader's side and as the run sees it."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.sandbox.isolation import Limits, boot_copy

VIEW_DIR = Path("/run/mpgrade")  # where a run sees its own directory inside its view
VIEW_BOOT = Path("/run/mpgrade-boot")  # and the grader's boot files (read-only)


@dataclass(frozen=True)
class Scratch:
    """A run's scratch directory on the grader's side, and where the run sees its parts.

    With a private view the directory is root's own (mode 700) and the run sees, at
    ``VIEW_DIR``, a size-capped tmpfs of its own holding ``work`` and the evidence
    directories, with the submission's copy bound read-only into it. Without one, the
    run uses the directory itself, on the host's disk: ``work`` and the evidence
    directories belong to the run's user, the submission's copy stays the grader's.
    """

    path: Path
    private: bool = False
    EVIDENCE = ("stacks", "rendezvous", "barrier", "api", "calls")
    SEEN = "seen"  # the grader marks each process it has seen here; the run may only read it

    @property
    def inside(self) -> Path:
        """The directory as the run sees it."""
        return VIEW_DIR if self.private else self.path

    @property
    def boot(self) -> Path:
        """The grader's boot files as the run sees them."""
        return VIEW_BOOT if self.private else boot_copy()

    @property
    def seen(self) -> Path:
        """Where the grader marks the processes it has seen (the grader's own, read-only to the run)."""
        return self.path / self.SEEN

    @property
    def work(self) -> Path:
        return self.path / "work"

    @property
    def submission(self) -> Path:
        return self.path / "submission"

    @property
    def root(self) -> Path:
        return self.path / "root"

    def create(self, user: str | None) -> None:
        for name in ("work", *self.EVIDENCE):
            (self.path / name).mkdir()
        self.submission.mkdir()
        self.submission.chmod(0o755)  # the run reads its files; only the grader writes them
        self.seen.mkdir()
        self.seen.chmod(0o755)  # likewise
        if self.private:
            self.path.chmod(0o700)
            self.root.mkdir()
        elif user:
            self.path.chmod(0o755)
            for name in ("work", *self.EVIDENCE):
                hand_over(self.path / name, user)

    def view(self, limits: Limits) -> dict[str, Any]:
        """The jail's description of the view (see ``boot/_mpgrade_jail.py``)."""
        return {
            "root": str(self.root),
            "boot": [str(boot_copy()), str(VIEW_BOOT)],
            "disk": str(VIEW_DIR),
            "disk_mb": limits.max_disk_mb,
            "shm_mb": limits.max_memory_mb,
            "owned": ["work", *self.EVIDENCE],
            "submission": [str(self.submission), str(VIEW_DIR / "submission")],
            "seen": [str(self.seen), str(VIEW_DIR / self.SEEN)],
            "cwd": str(VIEW_DIR / "work"),
        }

    def seen_from_grader(self, jail_pid: int | None, name: str) -> Path:
        """Where the grader reads a directory of the run: through the jail's mount namespace
        while it lives (the run's tmpfs is nowhere else), else on the host."""
        if jail_pid is None or not self.private:
            return self.path / name
        inside = self.root.relative_to("/") / VIEW_DIR.relative_to("/") / name
        return Path(f"/proc/{jail_pid}/root") / inside


def copy_submission(directory: Path, target: Path) -> None:
    """The submission's top-level ``.py`` files, never following a link out of it."""
    target.mkdir(exist_ok=True)
    root = directory.resolve()
    for source in sorted(directory.glob("*.py")):
        real = source.resolve()
        if root in real.parents and real.is_file():
            shutil.copyfile(real, target / source.name)


def hand_over(directory: Path, user: str) -> None:
    """Give one of the run's directories to the sandbox user, for it alone (mode 700)."""
    import pwd

    entry = pwd.getpwnam(user)
    os.chown(directory, entry.pw_uid, entry.pw_gid)
    directory.chmod(0o700)
