"""Holds N idle keep-alive connections to the hub's router, 50 from each of 127.1.0.1, 127.1.0.2, ...

Each connection asks for PATH once (Host: HOST) and reads the whole answer, then stays open and quiet.
Prints "held N" once all are held, and lets go when its standard input closes.
Usage: python3 idle-clients.py N PORT HOST PATH
"""
import socket
import sys

n, port, host, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
request = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)).encode()
held = []
for i in range(n):
    s = socket.socket()
    s.bind(("127.1.0.%d" % (1 + i // 50), 0))
    s.connect(("127.0.0.1", port))
    s.sendall(request)
    held.append(s)
for s in held:
    data = b""
    while b"\r\n\r\n" not in data:
        part = s.recv(65536)
        if not part:
            sys.exit("a connection closed before its answer")
        data += part
    head, body = data.split(b"\r\n\r\n", 1)
    length = [int(l.split(b":", 1)[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
    while length and len(body) < length[0]:
        body += s.recv(65536)
print("held", len(held), flush=True)
sys.stdin.read()
