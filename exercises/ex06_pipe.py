"""Exercise 06: two-way messages over a Pipe.

The pattern
-----------
``parent_end, child_end = multiprocessing.Pipe()`` makes a connected pair: what one
end ``send()``s, the other ``recv()``s (any picklable object). Give one end to a child
``Process`` and keep the other: a private two-way channel between exactly two
processes, faster than a Queue.

When to use it
--------------
A conversation between two processes: requests and replies, commands and
acknowledgements.

The pitfall
-----------
``send`` blocks while the message does not fit in the pipe and nobody reads. If the
parent sends every message before reading any reply, both sides end up waiting for
each other as soon as messages are large (a megabyte is plenty). Send one message,
receive its reply, then send the next. Finish with a ``None`` so the child stops.

Your task
---------
Write ``echo_worker`` and ``echo_all``.
"""

from multiprocessing import Pipe, Process  # noqa: F401  (you will need them)


def echo_worker(conn) -> None:
    """TODO: receive messages until None; answer each with ``message.upper()``; close ``conn``."""
    raise NotImplementedError("echo_worker")


def echo_all(messages: list[str]) -> list[str]:
    """TODO: start one Process running echo_worker on one end of a Pipe.

    For each message: send it, receive the reply. Then send None, join the process and
    return the replies in order.
    """
    raise NotImplementedError("echo_all")


def main() -> None:
    print(echo_all(["hello", "from", "the", "parent"]))


if __name__ == "__main__":
    main()
