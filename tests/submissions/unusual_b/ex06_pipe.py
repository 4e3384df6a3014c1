"""Unusual but correct: a context's Pipe, poll before recv, send_bytes-free plain objects."""

import multiprocessing


def echo_worker(conn) -> None:
    try:
        while True:
            if not conn.poll(60):
                break
            message = conn.recv()
            if message is None:
                break
            conn.send(message.upper())
    finally:
        conn.close()


def echo_all(messages: list[str]) -> list[str]:
    ctx = multiprocessing.get_context()
    parent_end, child_end = ctx.Pipe()
    worker = ctx.Process(target=echo_worker, args=(child_end,))
    worker.start()
    child_end.close()
    out = []
    for message in messages:
        parent_end.send(message)
        out.append(parent_end.recv())
    parent_end.send(None)
    worker.join()
    parent_end.close()
    return out
