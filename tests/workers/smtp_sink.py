"""A small SMTP server for tests, in a thread: records each message it accepts, refuses the
recipients it is told to, and offers PIPELINING or not."""

import asyncio
import email
import email.policy
import threading
from dataclasses import dataclass, field


@dataclass
class Sink:
    pipelining: bool = True
    refuse: set = field(default_factory=set)
    messages: list = field(default_factory=list)  # (envelope recipients, parsed message)
    transactions: int = 0
    port: int = 0

    def start(self):
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            server = self.loop.run_until_complete(self.loop.create_server(lambda: _Protocol(self), "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
            self.server = server
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(5)
        return self

    def stop(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class _Protocol(asyncio.Protocol):
    def __init__(self, sink):
        self.sink, self.buffer, self.in_data, self.rcpt = sink, b"", False, []

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 test sink\r\n")

    def data_received(self, data):
        self.buffer += data
        out = []
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    break
                raw, self.buffer = self.buffer[2 : end + 2], self.buffer[end + 5 :]
                raw = b"\n".join(line[1:] if line.startswith(b".") else line for line in raw.split(b"\r\n"))
                self.sink.messages.append((list(self.rcpt), email.message_from_bytes(raw, policy=email.policy.default)))
                self.in_data, self.rcpt = False, []
                out.append(b"250 queued\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            line, self.buffer = self.buffer[:end].decode(), self.buffer[end + 2 :]
            verb = line[:4].upper()
            if verb == "EHLO":
                out.append(
                    b"250-test sink\r\n"
                    + (b"250-PIPELINING\r\n" if self.sink.pipelining else b"")
                    + b"250 8BITMIME\r\n"
                )
            elif verb == "MAIL":
                self.sink.transactions += 1
                out.append(b"250 ok\r\n")
            elif verb == "RCPT":
                address = line.split(":", 1)[1].strip().strip("<>")
                if address in self.sink.refuse:
                    out.append(b"550 no such mailbox\r\n")
                else:
                    self.rcpt.append(address)
                    out.append(b"250 ok\r\n")
            elif verb == "DATA":
                if not self.rcpt:
                    out.append(b"554 no valid recipients\r\n")
                else:
                    out.append(b"354 go ahead\r\n")
                    self.in_data = True
                    self.buffer = b"\r\n" + self.buffer
            elif verb == "RSET":
                self.rcpt = []
                out.append(b"250 ok\r\n")
            elif verb == "QUIT":
                self.transport.write(b"".join(out) + b"221 bye\r\n")
                self.transport.close()
                return
            else:
                out.append(b"250 ok\r\n")
        if out:
            self.transport.write(b"".join(out))
