"""``mpgrade gradebook FILE.db report`` and ``mpgrade grade --html``: from outcomes to files."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from grader.batch.gradebook import Gradebook
from grader.errors import UsageError
from grader.model import GradeReport
from grader.report import data, markdown, pseudonyms, site
from grader.report.analysis import analyse
from grader.reporters import json_report
from grader.reporters.files import write_atomically


def add_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = actions.add_parser(
        "report",
        help="the class report: a static HTML site, or Markdown",
        description="Write the class report: OUT/index.html (the class: spread, item analysis, failures by cause, "
        "heat map, follow-up), OUT/students/ (one page per student with process timelines). The site works "
        "offline and holds every student's identity and evidence: keep it off public hosts.",
    )
    report.add_argument("--html", type=Path, metavar="OUT", help="write the site into this folder")
    report.add_argument("--markdown", type=Path, metavar="FILE", help="write a short Markdown summary (no names)")
    report.add_argument(
        "--pseudonymise",
        action="store_true",
        help="replace names and ids with stable pseudonyms (the same in every report of this gradebook)",
    )


def report(book: Gradebook, args: argparse.Namespace, console: Console) -> int:
    if args.html is None and args.markdown is None:
        raise UsageError("say what to write: --html OUT/, --markdown FILE, or both")
    found = data.from_gradebook(book)
    if args.pseudonymise:
        found = pseudonyms.pseudonymise(found, book.pseudonym_key())
    if args.html is not None:
        written = site.write_class_site(found, args.html, pseudonymised=args.pseudonymise)
        console.print(
            f"wrote {args.html / 'index.html'} and {written.pages - 1} more page(s) in {written.seconds:.1f} s "
            f"(class page with its assets: {written.class_page_bytes / 1e6:.1f} MB)"
        )
    if args.markdown is not None:
        write_atomically(args.markdown, markdown.class_markdown(analyse(found)))
        console.print(f"wrote {args.markdown}")
    return 0


def student_page(report: GradeReport, out: Path) -> site.Written:
    """``mpgrade grade PATH --html DIR``: the student's own page, with the timelines."""
    return site.write_student_page(data.from_report(json_report.to_dict(report)), out)
