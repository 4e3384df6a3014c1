"""Decoy: the child only relays each message back unchanged; the caller does the upper-casing."""

from multiprocessing import Pipe, Process


def echo_worker(conn) -> None:
    while True:
        message = conn.recv()
        if message is None:
            break
        conn.send(message.upper())
    conn.close()


def relay(conn) -> None:
    for message in iter(conn.recv, None):
        conn.send(message)
    conn.close()


def echo_all(messages: list[str]) -> list[str]:
    parent_end, child_end = Pipe()
    worker = Process(target=relay, args=(child_end,))
    worker.start()
    replies = []
    for message in messages:
        parent_end.send(message)
        replies.append(parent_end.recv().upper())
    parent_end.send(None)
    worker.join()
    return replies
