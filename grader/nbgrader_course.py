"""``mpgrade export nbgrader``: the kit as an nbgrader course, graded by mpgrade.

One notebook per exercise in ``source/<assignment>/``: the exercise's lesson (its
docstring) as Markdown; the student's code in a ``%%writefile exNN_topic.py`` cell whose
TODO function bodies are nbgrader solution regions holding the reference solution (so
``nbgrader generate_assignment`` releases the kit's stub); a demo cell; and one locked
test cell per check kind, worth what mpgrade gives that kind. The first test cell runs
``mpgrade grade`` on the notebook's folder in mpgrade's sandbox (never in the kernel),
with an absolute interpreter in isolated mode, and keeps its JSON report; every test
cell scores its own checks from that report and ends with a clamped float, which
nbgrader records as the cell's partial credit. A check mpgrade skips earns its points.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.catalogue import Exercise
from grader.errors import UsageError

KIT = Path(__file__).resolve().parent.parent
KINDS_ORDER = ("correctness", "processes", "concurrency", "speedup", "safety", "cleanup", "api")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

CONFIG = """# nbgrader's settings for the mpgrade course (written by `mpgrade export nbgrader`).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "mpgrade"
# Each notebook's first test cell grades the exercise with mpgrade in its sandbox:
# give it time (a speedup check measures several runs).
c.Execute.timeout = 900
c.Execute.kernel_name = "python3"
"""


@dataclass(frozen=True)
class Check:
    id: str
    kind: str
    points: float


def checks_of(exercise: Exercise) -> list[Check]:
    """The checks of an exercise with their kinds and points, read from its check file."""
    found = []
    for node in ast.walk(ast.parse(exercise.check_file.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.mark.check":
                check_id, kind, points = (ast.literal_eval(arg) for arg in decorator.args)
                found.append(Check(check_id, kind, float(points)))
    return found


def _todo(function: ast.FunctionDef) -> bool:
    return any(isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n) for n in ast.walk(function))


def _body_start(function: ast.FunctionDef) -> int:
    """The first line (1-based) of the body after the docstring."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        return body[1].lineno if len(body) > 1 else body[0].end_lineno + 1  # type: ignore[operator]
    return body[0].lineno


def _region(lines: list[str], indent: str) -> list[str]:
    return [f"{indent}{BEGIN}", *lines, f"{indent}{END}"]


def solution_cell_source(stub: str, solution: str) -> str:
    """The stub with each TODO body replaced by the solution's body inside a solution region,
    the solution's own imports added, and its helper functions added with their bodies in
    regions (so that the released module still imports)."""
    stub_tree, solution_tree = ast.parse(stub), ast.parse(solution)
    stub_lines, solution_lines = stub.splitlines(), solution.splitlines()
    solved = {n.name: n for n in solution_tree.body if isinstance(n, ast.FunctionDef)}
    stub_names = {n.name for n in stub_tree.body if isinstance(n, ast.FunctionDef)}
    replacements: list[tuple[int, int, list[str]]] = []  # (first, last) 1-based lines of the stub -> new lines
    for node in stub_tree.body:
        if isinstance(node, ast.FunctionDef) and _todo(node) and node.name in solved:
            answer = solved[node.name]
            body = solution_lines[_body_start(answer) - 1 : answer.end_lineno]
            indent = re.match(r"\s*", body[0]).group(0) if body else "    "  # type: ignore[union-attr]
            start = _body_start(node)
            replacements.append((start, node.end_lineno or start, _region(body, indent)))
    for first, last, lines in sorted(replacements, reverse=True):
        stub_lines[first - 1 : last] = lines
    stub_imports = {ast.unparse(n) for n in stub_tree.body if isinstance(n, (ast.Import, ast.ImportFrom))}
    extra_imports = [
        solution_lines[n.lineno - 1]
        for n in solution_tree.body
        if isinstance(n, (ast.Import, ast.ImportFrom)) and ast.unparse(n) not in stub_imports
    ]
    helpers = []
    for name, node in solved.items():
        if name not in stub_names:
            head = solution_lines[node.lineno - 1 : _body_start(node) - 1]
            body = solution_lines[_body_start(node) - 1 : node.end_lineno]
            helpers += ["", "", "# A helper of the reference solution: write it, or delete it if you need none.", *head]
            helpers += _region(body, "    ")
    text = "\n".join(stub_lines)
    if extra_imports or helpers:
        text = _insert_after_imports(text, extra_imports, helpers)
    return text + "\n"


def _insert_after_imports(text: str, imports: list[str], helpers: list[str]) -> str:
    tree = ast.parse(text)
    last_import = max((n.end_lineno or 0 for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))), default=0)
    lines = text.splitlines()
    return "\n".join([*lines[:last_import], *imports, *helpers, *lines[last_import:]])


def lesson(exercise: Exercise, docstring: str) -> str:
    """The exercise's docstring as Markdown: underlined headings, ``::`` blocks, double backticks."""
    lines = docstring.strip().splitlines()
    out = [f"# {lines[0]}", ""] if lines else []
    index = 1
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if following and set(following.strip()) <= {"-", "="} and following.strip() and line.strip():
            out.append(f"## {line.strip()}")
            index += 2
            continue
        if line.rstrip().endswith("::"):
            out += [line.rstrip()[:-1], "", "```python"]
            index += 1
            while index < len(lines) and (not lines[index].strip() or lines[index].startswith("    ")):
                out.append(lines[index][4:])
                index += 1
            while out[-1] == "":
                out.pop()
            out.append("```")
            continue
        out.append(line)
        index += 1
    text = "\n".join(out).replace("``", "`")
    return f"{text}\n\n*Points: {exercise.points:g}, graded by mpgrade in its own sandbox.*"


def _cell(kind: str, source: str, **nbgrader: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    if nbgrader:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, **nbgrader}
    return cell


TEST_CELL = """# mpgrade: the {kind} checks of {exercise} ({points:g} points). Locked: do not edit.
import json as _mp_json, os as _mp_os, subprocess as _mp_sp
_MP_REPORT = ".mpgrade-{exercise}.json"
_MP_CHECKS = {checks!r}
_mp_score = 0.0
try:
    if {first!r}:  # the first test cell grades the exercise once, in mpgrade's sandbox
        if _mp_os.path.lexists(_MP_REPORT):
            _mp_os.remove(_MP_REPORT)
        _mp_done = _mp_sp.run(
            [{python!r}, "-I", "-m", "grader", "grade", ".", "-e", "{exercise}", "--json", _MP_REPORT, "-q"],
            stdin=_mp_sp.DEVNULL, stdout=_mp_sp.PIPE, stderr=_mp_sp.PIPE, text=True, timeout=850,
        )
        if not _mp_os.path.isfile(_MP_REPORT):
            print("mpgrade could not grade this notebook:", (_mp_done.stderr or _mp_done.stdout)[-2000:])
    with open(_MP_REPORT, encoding="utf-8") as _mp_file:
        _mp_exercise = [e for e in _mp_json.load(_mp_file)["exercises"] if e["id"] == "{exercise}"][0]
    if _mp_exercise["error"]:
        print("{exercise} could not be graded:", _mp_exercise["error"])
    for _mp_check in _mp_exercise["checks"]:
        if _mp_check["id"] in _MP_CHECKS:
            if _mp_check["status"] == "skipped":
                _mp_score += _MP_CHECKS[_mp_check["id"]]
                print("skipped (its points are given):", _mp_check["id"], "-", _mp_check["message"])
            else:
                _mp_score += float(_mp_check["score"])
                print(_mp_check["status"] + ":", _mp_check["id"], "-", _mp_check["message"] or "ok")
except Exception as _mp_error:  # noqa: BLE001 - the cell must end with a score whatever happened
    print("mpgrade could not score these checks:", type(_mp_error).__name__, _mp_error)
float(min(max(_mp_score, 0.0), {points!r}))
"""

DEMO_CELL = """# The demo, as `python {file}` runs it. The autograder skips it (mpgrade grades the file).
import importlib, os
if os.environ.get("NBGRADER_EXECUTION") != "autograde":
    import {module}
    importlib.reload({module})
    {module}.main()
"""


def notebook(exercise: Exercise, kit: Path, python: str) -> dict[str, Any]:
    stub = (kit / "exercises" / exercise.filename).read_text(encoding="utf-8")
    solution = (kit / "solutions" / exercise.filename).read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(stub)) or exercise.title
    cells = [
        _cell("markdown", lesson(exercise, docstring), grade=False, solution=False, locked=True, grade_id="lesson")
    ]
    todo = any(isinstance(n, ast.FunctionDef) and _todo(n) for n in ast.parse(stub).body)
    if todo:
        code = solution_cell_source(stub, solution)
        cells.append(
            _cell(
                "code",
                f"%%writefile {exercise.filename}\n{code}",
                grade=False,
                solution=True,
                locked=False,
                grade_id="code",
            )
        )
    else:  # the program runs as given and is wrong (ex07's race): release it as it is
        cells.append(_cell("code", f"%%writefile {exercise.filename}\n{stub}"))
    module = exercise.id
    cells.append(_cell("code", DEMO_CELL.format(file=exercise.filename, module=module)))
    by_kind: dict[str, dict[str, float]] = {}
    for check in checks_of(exercise):
        by_kind.setdefault(check.kind, {})[check.id] = check.points
    for index, kind in enumerate(k for k in KINDS_ORDER if k in by_kind):
        points = sum(by_kind[kind].values())
        source = TEST_CELL.format(
            kind=kind, exercise=exercise.id, points=points, checks=by_kind[kind], first=index == 0, python=python
        )
        cells.append(
            _cell("code", source, grade=True, solution=False, locked=True, points=points, grade_id=f"mpgrade-{kind}")
        )
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@dataclass(frozen=True)
class Exported:
    notebooks: list[Path]
    config_written: bool


def export_course(
    course: Path, exercises: tuple[Exercise, ...], assignment: str, kit: Path = KIT, python: str = sys.executable
) -> Exported:
    """Write the course; never overwrites nbgrader_config.py or an existing assignment."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", assignment):
        raise UsageError(f"--assignment {assignment!r}: use letters, digits, '_', '-' and '.' only")
    missing = [str(kit / d) for d in ("exercises", "solutions") if not (kit / d).is_dir()]
    if missing:
        raise UsageError(
            f"the kit's {' and '.join(missing)} are not here: run the export from a clone of the kit "
            "(pip install -e .), or give it with --kit DIR"
        )
    target = course / "source" / assignment
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target} already holds an assignment: choose another --assignment, or remove it")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for exercise in exercises:
        path = target / f"{exercise.id}.ipynb"
        path.write_text(json.dumps(notebook(exercise, kit, python), indent=1) + "\n", encoding="utf-8")
        written.append(path)
    config = course / "nbgrader_config.py"
    fresh = not config.exists()
    if fresh:
        config.write_text(CONFIG, encoding="utf-8")
    return Exported(written, fresh)
