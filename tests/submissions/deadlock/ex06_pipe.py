"""Deadlock: sends every message before reading any reply."""

from multiprocessing import Pipe, Process


def echo_worker(conn):
    while True:
        message = conn.recv()
        if message is None:
            break
        conn.send(message.upper())
    conn.close()


def echo_all(messages):
    ours, theirs = Pipe()
    worker = Process(target=echo_worker, args=(theirs,))
    worker.start()
    for message in messages:
        ours.send(message)
    replies = [ours.recv() for _ in messages]
    ours.send(None)
    worker.join()
    return replies
