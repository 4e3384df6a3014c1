"""Stacks of hung processes: parsing faulthandler dumps into the student's frames."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<function>\S+)')
_THREAD = re.compile(r"^(Current thread|Thread) (?P<ident>0x[0-9a-f]+)")


KNOWN_WAITS = {
    "_wait_for_tstate_lock": "exiting, but waiting until what it put on a queue is read (nobody reads it)",
}


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    function: str
    text: str


@dataclass(frozen=True)
class ProcessStack:
    """Where one process of a hung tree was waiting, innermost student frame last."""

    pid: int
    role: str
    student_frames: tuple[Frame, ...]
    blocked_in: str  # the innermost frame of the main thread, e.g. "multiprocessing/process.py:149 join"

    def where(self) -> str:
        if not self.student_frames:
            for marker, words in KNOWN_WAITS.items():
                if marker in self.blocked_in:
                    return words
            return f"in {self.blocked_in}" if self.blocked_in else "no Python frame of yours"
        frame = self.student_frames[-1]
        text = f"`{frame.text}`" if frame.text else frame.function
        return f"{text} at {Path(frame.file).name}:{frame.line}"


def _main_thread_frames(dump: str) -> list[tuple[str, int, str]]:
    """Frames of the thread that faulthandler lists first as current or the last thread.

    faulthandler prints the most recent call first; we return them outermost first.
    """
    threads: list[list[tuple[str, int, str]]] = []
    for line in dump.splitlines():
        if _THREAD.match(line):
            threads.append([])
            continue
        match = _FRAME.match(line)
        if match and threads:
            threads[-1].append((match["file"], int(match["line"]), match["function"]))
    if not threads:
        return []
    # The main thread is the one whose outermost frame is module level ("<module>").
    for frames in threads:
        if frames and frames[-1][2] == "<module>":
            return list(reversed(frames))
    return list(reversed(threads[-1]))


def parse_dump(pid: int, role: str, dump: str, directory: Path, readable: Path | None = None) -> ProcessStack:
    """Keep the frames from files inside the submission directory (as the run saw it);
    their source lines are read from ``readable``, the same files as the grader sees them."""
    frames = _main_thread_frames(dump)
    root = str(directory.resolve())
    student: list[Frame] = []
    for file, line, function in frames:
        if file.startswith(root):
            source = (readable or directory) / Path(file).relative_to(root)
            student.append(Frame(file, line, function, _source_line(source, line)))
    blocked = ""
    if frames:
        file, line, function = frames[-1]
        blocked = f"{_short(file)}:{line} {function}"
    return ProcessStack(pid=pid, role=role, student_frames=tuple(student), blocked_in=blocked)


def _short(file: str) -> str:
    parts = Path(file).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else file


def _source_line(path: Path, line: int) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""
