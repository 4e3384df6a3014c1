"""Reading a sandbox's output and messages in threads of the grader, with caps."""

from __future__ import annotations

import os
import queue
import threading
import time
from typing import Any

from grader.sandbox.boot import _mpgrade_wire as wire
from grader.sandbox.results import Output

OUTPUT_CAP = 256 * 1024


class OutputReader(threading.Thread):
    def __init__(self, stream: Any) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.chunks: list[bytes] = []
        self.kept = 0
        self.dropped = 0

    def run(self) -> None:
        while chunk := self.stream.read1(65536):
            room = OUTPUT_CAP - self.kept
            self.chunks.append(chunk[:room])
            self.kept += min(room, len(chunk))
            self.dropped += max(0, len(chunk) - room)

    def output(self) -> Output:
        return Output(b"".join(self.chunks).decode("utf-8", errors="replace"), self.dropped)


class MessageReader(threading.Thread):
    """Reads JSON lines from the result pipe, stamping each with the grader's clock."""

    def __init__(self, fd: int) -> None:
        super().__init__(daemon=True)
        self.file = os.fdopen(fd, "rb")
        self.messages: queue.Queue[tuple[float, dict[str, Any] | None]] = queue.Queue()

    def run(self) -> None:
        try:
            while line := self.file.readline(wire.MAX_LINE):
                stamp = time.monotonic()
                try:
                    message = wire.load_message(line)
                except ValueError:
                    message = {"kind": "garbled"}
                self.messages.put((stamp, message))
        finally:
            self.messages.put((time.monotonic(), None))
            self.file.close()
