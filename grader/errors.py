"""Faults of the grader itself (never of a submission).

A submission's failures are outcomes, reported as data. These exceptions mean the
grader could not do its job: bad command-line input, a broken installation, a check
that crashed. The CLI turns them into exit status 2 with their message.
"""

from __future__ import annotations


class GraderError(Exception):
    """Base of every fault of the grader."""


class UsageError(GraderError):
    """The command line or configuration asks for something impossible."""


class SandboxError(GraderError):
    """A sandbox could not be started or cleaned up."""


class CheckRunError(GraderError):
    """The check suite itself failed (not the submission under test)."""
