"""Serial: no child process."""


def echo_worker(conn):
    while (message := conn.recv()) is not None:
        conn.send(message.upper())
    conn.close()


def echo_all(messages):
    return [message.upper() for message in messages]
