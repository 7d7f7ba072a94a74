"""A renter's web server for the HTTP router tests, run inside the rental's container on port 80.

GET /          hello from HOSTNAME
GET /big?n=N   N bytes (Content-Length), produced as they are sent
GET /stream    chunked: "first" now, "last" once /tmp/go exists (the test creates it after
               reading "first", so a router that held the body back would never deliver it)
POST /echo     the request body back (Content-Length or chunked)
GET /events?n=N&every=S  text/event-stream: N events, one every S seconds
GET /bad-response  a response framed both by Content-Length and chunked (a smuggling shape)
GET /headers   the request headers as received
GET /chunks?n=N  chunked: N chunks of "abcd\n"
GET /seen      the request line of every request this server received, one a line
GET /ws        WebSocket: every text or binary message is sent back
"""
import base64
import hashlib
import os
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body go out as separate writes

    def log_message(self, *args):
        pass

    def parse_request(self):
        ok = super().parse_request()
        with open("/tmp/seen", "a") as seen:
            seen.write(self.requestline + "\n")
        return ok

    def send_text(self, text, status=200):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/":
            self.send_text("hello from " + socket.gethostname() + "\n")
        elif self.path.startswith("/big?n="):
            n = int(self.path.split("=", 1)[1])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            block = b"0123456789abcdef" * 4096
            while n > 0:
                part = block[: min(n, len(block))]
                self.wfile.write(part)
                n -= len(part)
        elif self.path == "/stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.chunk(b"first\n")
            deadline = time.time() + 60
            while not os.path.exists("/tmp/go") and time.time() < deadline:
                time.sleep(0.05)
            self.chunk(b"last\n")
            self.chunk(b"")
        elif self.path.startswith("/chunks?n="):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(int(self.path.split("=", 1)[1])):
                self.wfile.write(b"5\r\nabcd\n\r\n")
            self.chunk(b"")
        elif self.path.startswith("/events?"):
            args = dict(p.split("=", 1) for p in self.path.split("?", 1)[1].split("&"))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(int(args["n"])):
                if i:
                    time.sleep(float(args["every"]))
                self.chunk(b"data: %d\n\n" % i)
            self.chunk(b"")
        elif self.path == "/bad-response":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            self.wfile.flush()
            self.close_connection = True
        elif self.path == "/seen":
            with open("/tmp/seen") as seen:
                self.send_text(seen.read())
        elif self.path == "/headers":
            self.send_text("".join(k.lower() + ": " + v + "\n" for k, v in self.headers.items()))
        elif self.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            self.websocket()
        else:
            self.send_text("not found\n", 404)

    def do_POST(self):
        self.send_text(self.body().decode())

    def body(self):
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))
        data = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def websocket(self):
        key = self.headers["Sec-WebSocket-Key"]
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            opcode = head[0] & 0x0F
            length = head[1] & 0x7F
            if length == 126:
                length = struct.unpack(">H", self.rfile.read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
            if opcode == 8:
                self.frame(8, data[:2])
                return
            if opcode in (1, 2):
                self.frame(opcode, data)
            elif opcode == 9:
                self.frame(10, data)

    def frame(self, opcode, data):
        n = len(data)
        if n < 126:
            head = struct.pack(">BB", 0x80 | opcode, n)
        elif n < 65536:
            head = struct.pack(">BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack(">BBQ", 0x80 | opcode, 127, n)
        self.wfile.write(head + data)
        self.wfile.flush()


ThreadingHTTPServer(("0.0.0.0", 80), Handler).serve_forever()
