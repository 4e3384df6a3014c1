"""Stable pseudonyms for a report that must not say who is who.

A pseudonym is a keyed hash (HMAC-SHA256) of the student's id under a random key kept in
the gradebook: the same student gets the same pseudonym in every report from that
gradebook, and nobody without the gradebook can test a guessed id against it.
"""

from __future__ import annotations

import dataclasses
import hmac
from hashlib import sha256

from grader.report.data import ClassData, Student


def pseudonym(key: bytes, student_id: str) -> str:
    return "student-" + hmac.new(key, student_id.encode(), sha256).hexdigest()[:10]


def pseudonymise(data: ClassData, key: bytes) -> ClassData:
    """The same class with each id and name replaced by the id's pseudonym, also inside
    messages and reasons where they quote them."""
    return dataclasses.replace(data, students=[_student(s, key) for s in data.students])


def _student(student: Student, key: bytes) -> Student:
    alias = pseudonym(key, student.key)
    secrets = sorted({t for t in (student.key, student.name) if len(t) >= 3}, key=len, reverse=True)

    def scrub(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, alias)
        return text

    checks = [dataclasses.replace(c, message=scrub(c.message)) for c in student.checks]
    gradings = [dataclasses.replace(g, reason=scrub(g.reason)) for g in student.gradings]
    return dataclasses.replace(
        student, key=alias, name="", reason=scrub(student.reason), checks=checks, gradings=gradings
    )
