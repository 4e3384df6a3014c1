"""Unusual but correct: two one-way pipes, one for requests and one for replies."""

from multiprocessing import Pipe, Process


def echo_worker(conn) -> None:
    requests, replies = conn if isinstance(conn, tuple) else (conn, conn)
    while (message := requests.recv()) is not None:
        replies.send(message.upper())
    requests.close()
    replies.close()


def echo_all(messages: list[str]) -> list[str]:
    request_reader, request_writer = Pipe(duplex=False)
    reply_reader, reply_writer = Pipe(False)
    child = Process(target=echo_worker, args=((request_reader, reply_writer),))
    child.start()
    request_reader.close()
    reply_writer.close()
    replies = []
    for message in messages:
        request_writer.send(message)
        replies.append(reply_reader.recv())
    request_writer.send(None)
    child.join()
    return replies
