"""Turning faulthandler dumps into the student's blocked line."""

from pathlib import Path

from grader.sandbox.stacks import parse_dump


def test_keeps_the_students_frames(tmp_path: Path) -> None:
    student = tmp_path / "ex05_queue.py"
    student.write_text("def process_all():\n    pass\n    worker.join()\n")
    dump = (
        "Thread 0x00007f0000000001 (most recent call first):\n"
        '  File "/usr/lib/python3.11/threading.py", line 320 in wait\n'
        "\n"
        "Current thread 0x00007f0000000002 (most recent call first):\n"
        '  File "/usr/lib/python3.11/multiprocessing/popen_fork.py", line 27 in poll\n'
        f'  File "{student}", line 3 in process_all\n'
        '  File "/boot/_mpgrade_harness.py", line 99 in main\n'
        '  File "/boot/_mpgrade_harness.py", line 120 in <module>\n'
    )
    stack = parse_dump(42, "main", dump, tmp_path)
    assert stack.where() == "`worker.join()` at ex05_queue.py:3"
    assert stack.blocked_in.endswith("popen_fork.py:27 poll")


def test_no_student_frame_names_the_library_call(tmp_path: Path) -> None:
    dump = (
        "Current thread 0x01 (most recent call first):\n"
        '  File "/usr/lib/python3.11/threading.py", line 1139 in _wait_for_tstate_lock\n'
        '  File "/usr/lib/python3.11/threading.py", line 1119 in join\n'
        '  File "/x/y.py", line 1 in <module>\n'
    )
    assert "nobody reads it" in parse_dump(7, "worker", dump, tmp_path).where()
