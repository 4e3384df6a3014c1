"""The checks: one pytest file per exercise, run by the grader with pytest-json-report."""
