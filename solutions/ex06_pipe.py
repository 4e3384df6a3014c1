"""Reference solution: two-way messages (see exercises/ex06_pipe.py)."""

from multiprocessing import Pipe, Process


def echo_worker(conn) -> None:
    while True:
        message = conn.recv()
        if message is None:
            break
        conn.send(message.upper())
    conn.close()


def echo_all(messages: list[str]) -> list[str]:
    parent_end, child_end = Pipe()
    worker = Process(target=echo_worker, args=(child_end,))
    worker.start()
    replies = []
    for message in messages:
        parent_end.send(message)
        replies.append(parent_end.recv())
    parent_end.send(None)
    worker.join()
    parent_end.close()
    return replies


def main() -> None:
    print(echo_all(["hello", "from", "the", "parent"]))


if __name__ == "__main__":
    main()
