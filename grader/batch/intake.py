"""Finding the submissions of a class in what an instructor downloaded.

Shapes, detected in this order and reported:

- ``gradescope``: an "Export Submissions" folder: ``submission_metadata.yml`` maps
  ``submission_NNN`` folders to their submitters (key: the submitter's sid, else email);
- ``canvas``: "Download Submissions": loose files named
  ``lastfirst[_LATE]_userid_submissionid_originalname`` (key: the user id; Canvas's
  ``-1``, ``-2`` on re-uploaded names are dropped; a student's own zip is unpacked);
- ``moodle``: "Download all submissions": folders named
  ``Full Name_participantid_assignsubmission_file_`` (key: the participant id);
- ``github-classroom``: folders sharing one ``assignment-`` prefix (key: the username);
- ``folders``: a folder per student (key: the folder name);
- ``zips``: a ``.zip`` per student (key: the name without ``.zip``).

A ``.zip`` given as SUBMISSIONS, or holding a single folder, is unpacked first. Each
submission's exercise files may lie at any depth; two sets of them (say ``exercises/``
and ``solutions/``) are a problem with that reason, not a guess. Nothing here raises on
a student's files: every oddity becomes the submission's ``problem``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from grader import notebooks, tempdirs
from grader.catalogue import EXERCISES

EXERCISE_FILES = {exercise.filename: exercise.id for exercise in EXERCISES}
SKIPPED_DIRS = {".git", "__pycache__", "__MACOSX", ".ipynb_checkpoints", "node_modules", ".venv", "venv"}
MAX_MEMBERS = 5_000
MAX_UNPACKED = 200 << 20  # bytes one zip may unpack to, all members together
MAX_MEMBER = 20 << 20
MAX_RATIO = 200  # a member more compressed than this is a bomb
MAX_DEPTH = 3  # zips inside zips
MAX_FILE = 2 << 20  # a student's .py file larger than this is not read

CANVAS = re.compile(r"^(?P<name>[^_]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<sub>\d+)_(?P<original>.+)$")
CANVAS_REUPLOAD = re.compile(r"^(?P<stem>.+?)-\d+(?P<ext>\.[A-Za-z0-9]+)$")
MOODLE = re.compile(r"^(?P<name>.+)_(?P<participant>\d+)_assignsubmission_[a-z]+_?$")


class IntakeError(Exception):
    """SUBMISSIONS itself cannot be read (not a folder or zip, an unreadable zip)."""


@dataclass
class Found:
    """One submission as found: who, where from, its files, or the reason it cannot be graded."""

    key: str
    shape: str
    source: str
    name: str = ""
    email: str = ""
    collected_at: float = 0.0  # seconds since the epoch (file time, or the platform's own)
    order: tuple[Any, ...] = ()  # later submissions of one key sort last (Canvas: submission id)
    late: bool | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # file name -> content, graded together
    problem: str | None = None
    notes: list[str] = field(default_factory=list)  # what the intake noticed (a .py a notebook replaced)

    @property
    def exercises(self) -> tuple[str, ...]:
        return tuple(EXERCISE_FILES[name] for name in sorted(self.files) if name in EXERCISE_FILES)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.files)


def fingerprint(files: dict[str, bytes]) -> str:
    """The content of the exercise files (helpers aside): equal work has equal fingerprints."""
    digest = hashlib.sha256()
    for name in sorted(n for n in files if n in EXERCISE_FILES):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()[:16]


@dataclass
class Intake:
    shape: str
    submissions: list[Found]
    notes: list[str] = field(default_factory=list)  # what the intake passed over, for the summary


# --- files of one submission -------------------------------------------------------


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk(root: Path) -> Iterator[Path]:
    """Regular files below ``root`` (links never followed), hidden and tool folders skipped."""
    for current, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(current) / name
            if stat.S_ISREG(path.lstat().st_mode):
                yield path


def collect(root: Path, found: Found) -> Found:
    """Fill ``found.files`` from the exercise files at any depth below ``root``."""
    bad_names = [p for p in _walk(root) if not _utf8(str(p.relative_to(root)))]
    if bad_names:
        shown = os.fsencode(bad_names[0].relative_to(root)).decode("utf-8", "backslashreplace")
        found.problem = f"a file name is not UTF-8 ({shown}): rename it and hand it in again"
        return found
    places: dict[Path, list[str]] = {}
    for path in _walk(root):
        if path.name in EXERCISE_FILES or (path.suffix == ".ipynb" and path.stat().st_size <= MAX_FILE):
            places.setdefault(path.parent, []).append(path.name)
    if not places:
        found.problem = "no exercise files (exNN_topic.py) in this submission"
        return found
    if len(places) > 1:
        places = {p: names for p, names in places.items() if _has_exercises(p)}
    if len(places) > 1:
        where = ", ".join(f"{(p.relative_to(root).as_posix() or '.')}/" for p in sorted(places))
        found.problem = f"two sets of exercise files ({where}): hand in one folder of exNN_topic.py files"
        return found
    if not places:
        found.problem = "no exercise files (exNN_topic.py), and no notebook writes one, in this submission"
        return found
    folder = next(iter(places))
    try:
        gathered = notebooks.read(folder)
    except notebooks.NotebookError as error:
        found.problem = str(error)
        return found
    if gathered is not None:
        found.files, found.notes = gathered.files, gathered.notes
        found.collected_at = found.collected_at or max(p.stat().st_mtime for p in folder.glob("*.ipynb"))
        return found
    for path in sorted(folder.glob("*.py")):
        if not stat.S_ISREG(path.lstat().st_mode):
            continue
        if path.stat().st_size > MAX_FILE:
            found.problem = f"{path.name} is larger than {MAX_FILE >> 20} MiB"
            return found
        found.files[path.name] = path.read_bytes()
    if not found.collected_at:
        found.collected_at = max(path.stat().st_mtime for path in folder.glob("*.py"))
    return found


def _has_exercises(folder: Path) -> bool:
    """Exercise files in ``folder`` itself, or notebooks there that write some."""
    if any((folder / name).is_file() for name in EXERCISE_FILES):
        return True
    try:
        return bool(notebooks.extract(sorted(folder.glob("*.ipynb"))).files)
    except notebooks.NotebookError:
        return False


# --- zips ------------------------------------------------------------------------


def unzip(archive: Path, target: Path) -> None:
    """Unpack safely: no member escaping ``target``, no links, bounded sizes and ratio.
    Raises IntakeError with the reason (a bomb, escaping paths, a broken zip)."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if len(members) > MAX_MEMBERS:
                raise IntakeError(f"{archive.name} holds {len(members)} files (more than {MAX_MEMBERS})")
            total = 0
            for member in members:
                path = PurePosixPath(member.filename.replace("\\", "/"))
                if path.is_absolute() or ".." in path.parts:
                    raise IntakeError(f"{archive.name} has a path that escapes the folder: {member.filename!r}")
                if stat.S_ISLNK(member.external_attr >> 16):
                    continue
                total += member.file_size
                ratio = member.file_size / max(1, member.compress_size)
                bomb = member.file_size > 1 << 20 and ratio > MAX_RATIO
                if member.file_size > MAX_MEMBER or total > MAX_UNPACKED or bomb:
                    raise IntakeError(
                        f"{archive.name} unpacks to more than it may (a zip bomb?): {member.filename} is "
                        f"{member.file_size >> 10} KiB, compressed {ratio:.0f}:1"
                    )
                destination = target.joinpath(*path.parts)
                if member.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, open(destination, "wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 16)
                if destination.stat().st_size != member.file_size:
                    raise IntakeError(f"{archive.name}: {member.filename} is not the size the zip says")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError) as error:
        raise IntakeError(f"{archive.name} cannot be unpacked: {error}") from error


def _unpack_nested(folder: Path, depth: int = 0) -> None:
    """A student's own zips inside a submission, unpacked where they lie."""
    if depth >= MAX_DEPTH:
        return
    for archive in [p for p in _walk(folder) if p.suffix.lower() == ".zip"]:
        inside = archive.with_name(archive.stem + "__unzipped")
        try:
            unzip(archive, inside)
        except IntakeError:
            continue
        _unpack_nested(inside, depth + 1)


# --- shapes ----------------------------------------------------------------------


def _gradescope(root: Path) -> list[Found]:
    import yaml  # type: ignore[import-untyped]

    metadata = yaml.safe_load((root / "submission_metadata.yml").read_text(encoding="utf-8")) or {}
    found = []
    for folder, entry in sorted(metadata.items()):
        entry = entry or {}
        submitters = entry.get(":submitters") or entry.get("submitters") or [{}]
        first = submitters[0] or {}
        sid = str(first.get(":sid") or first.get("sid") or "").strip()
        email = str(first.get(":email") or first.get("email") or "").strip()
        created = entry.get(":created_at") or entry.get("created_at")
        item = Found(
            key=sid or email or str(folder),
            shape="gradescope",
            source=str(folder),
            name=str(first.get(":name") or first.get("name") or ""),
            email=email,
            collected_at=float(created.timestamp()) if created is not None and hasattr(created, "timestamp") else 0.0,
            order=(str(created or ""), str(folder)),
        )
        path = root / str(folder)
        if not path.is_dir():
            item.problem = f"{folder} is listed in submission_metadata.yml but not in the export"
            found.append(item)
            continue
        _unpack_nested(path)
        found.append(collect(path, item))
    return found


def _canvas_name(original: str) -> str:
    match = CANVAS_REUPLOAD.match(original)
    if match and f"{match['stem']}{match['ext']}" in EXERCISE_FILES:
        return f"{match['stem']}{match['ext']}"
    return original


def _canvas(root: Path, staging: Path) -> tuple[list[Found], list[str]]:
    groups: dict[tuple[str, str], list[tuple[Path, re.Match[str]]]] = {}
    notes: list[str] = []
    for path in sorted(p for p in root.iterdir() if p.is_file()):
        match = CANVAS.match(path.name)
        if match is None:
            notes.append(f"{path.name}: not named as Canvas names submissions; passed over")
            continue
        groups.setdefault((match["user"], match["sub"]), []).append((path, match))
    found: list[Found] = []
    for (user, sub), files in sorted(groups.items(), key=lambda item: (item[0][0], int(item[0][1]))):
        folder = staging / f"canvas-{user}-{sub}"
        folder.mkdir(parents=True)
        item = Found(
            key=user,
            shape="canvas",
            source=", ".join(p.name for p, _ in files),
            name=files[0][1]["name"],
            order=(int(sub),),
            late=any(m["late"] for _, m in files),
            collected_at=max(p.stat().st_mtime for p, _ in files),
        )
        for path, match in files:
            original = match["original"]
            if original.lower().endswith(".zip"):
                try:
                    unzip(path, folder / Path(original).stem)
                except IntakeError as error:
                    item.problem = str(error)
            else:
                shutil.copyfile(path, folder / _canvas_name(original))
        if item.problem is None:
            _unpack_nested(folder)
            collect(folder, item)
        found.append(item)
    return found, notes


def _is_canvas(root: Path) -> bool:
    files = [p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")]
    return bool(files) and sum(1 for p in files if CANVAS.match(p.name)) >= max(1, len(files) // 2)


def _common_prefix(names: list[str]) -> str:
    prefix = os.path.commonprefix(names)
    return prefix[: prefix.rfind("-") + 1] if "-" in prefix else ""


def _folders(root: Path, folders: list[Path]) -> list[Found]:
    names = [f.name for f in folders]
    moodle = [MOODLE.match(n) for n in names]
    prefix = _common_prefix(names) if len(names) > 1 else ""
    found = []
    for folder, match in zip(folders, moodle, strict=True):
        if all(moodle):
            assert match is not None
            item = Found(key=match["participant"], shape="moodle", source=folder.name, name=match["name"])
        elif prefix and all(n != prefix for n in names):
            item = Found(key=folder.name[len(prefix) :], shape="github-classroom", source=folder.name)
        else:
            item = Found(key=folder.name, shape="folders", source=folder.name)
        if not _utf8(folder.name):
            item.key = os.fsencode(folder.name).decode("utf-8", "backslashreplace")
            item.problem = "the folder's name is not UTF-8: rename it"
            found.append(item)
            continue
        _unpack_nested(folder)
        found.append(collect(folder, item))
    return found


def _zips(root: Path, archives: list[Path], staging: Path) -> list[Found]:
    found: list[Found] = []
    for archive in archives:
        item = Found(key=archive.stem, shape="zips", source=archive.name, collected_at=archive.stat().st_mtime)
        target = staging / f"zip-{len(found)}"
        try:
            unzip(archive, target)
        except IntakeError as error:
            item.problem = str(error)
            found.append(item)
            continue
        _unpack_nested(target)
        found.append(collect(target, item))
    return found


def read(submissions: Path, staging: Path) -> Intake:
    """Every submission in ``submissions`` (a folder or a .zip); ``staging`` receives what
    must be unpacked. Raises IntakeError only when ``submissions`` cannot be read at all."""
    if (submissions / "nbgrader_config.py").is_file() and (submissions / "submitted").is_dir():
        submissions = submissions / "submitted"  # an nbgrader course: submitted/<student>/<assignment>/
    intake = _read(submissions, staging)
    if submissions.name == "submitted" and intake.shape == "folders":
        intake.shape = "nbgrader"
        for item in intake.submissions:
            item.shape = "nbgrader"
    intake.notes.extend(f"{item.key}: {note}" for item in intake.submissions for note in item.notes)
    return intake


def _read(submissions: Path, staging: Path) -> Intake:
    root = submissions
    if submissions.is_file():
        if submissions.suffix.lower() != ".zip":
            raise IntakeError(f"{submissions} is neither a folder nor a .zip file")
        root = staging / "unpacked"
        unzip(submissions, root)
    elif not submissions.is_dir():
        raise IntakeError(f"{submissions} does not exist: give the folder (or .zip) of the class's submissions")
    entries = [p for p in sorted(root.iterdir()) if not p.name.startswith(".") and p.name not in SKIPPED_DIRS]
    if root != submissions and len(entries) == 1 and entries[0].is_dir():
        inner = [p for p in entries[0].iterdir() if not p.name.startswith(".")]
        if inner and not any(p.name in EXERCISE_FILES for p in inner):
            return _read(entries[0], staging)  # a zip holding one folder of submissions
    if (root / "submission_metadata.yml").exists():
        return Intake("gradescope", _gradescope(root))
    if _is_canvas(root):
        found, notes = _canvas(root, staging)
        return Intake("canvas", found, notes)
    folders = [p for p in entries if p.is_dir()]
    archives = [p for p in entries if p.is_file() and p.suffix.lower() == ".zip"]
    loose = [p for p in entries if p.is_file() and p.name in EXERCISE_FILES]
    if loose and not folders and not archives:
        raise IntakeError(
            f"{submissions} holds exercise files itself, not one submission per student: "
            "use `mpgrade grade` for one submission"
        )
    notes = [
        f"{p.name}: neither a folder nor a .zip; passed over" for p in entries if p.is_file() and p not in archives
    ]
    if folders and not archives:
        found = _folders(root, folders)
        return Intake(found[0].shape if found else "folders", found, notes)
    if archives and not folders:
        return Intake("zips", _zips(root, archives, staging), notes)
    if not folders and not archives:
        return Intake("empty", [], [f"{submissions} holds no submissions"])
    found = _folders(root, folders) + _zips(root, archives, staging)
    return Intake("folders and zips", found, notes)


def staging_dir() -> Path:
    return tempdirs.make("intake")
