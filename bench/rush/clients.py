"""The rush's clients: keep-alive HTTP/1.1 connections driven by one asyncio event loop (no
thread queueing in the measurement), the capacity loop and the database's write limit measured
beside it. Used by bench/deadline_rush.py."""

import asyncio
import json
import os
import random
import time
import uuid
from pathlib import Path

from django.conf import settings

HOST = "127.0.0.1"
FILLER = (
    "Our organisation monitors public procurement in the regions and publishes what it finds. "
    "Журналісти та юристи перевіряють договори, а громади отримують зрозумілі звіти. "
)


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


class Client:
    """One keep-alive HTTP/1.1 connection, driven by asyncio: a single event loop runs every
    client, so the latencies measured are the server's, not those of 200 Python threads
    queueing for one interpreter lock."""

    def __init__(self, port, cookie, token):
        self.port, self.cookie, self.token = port, cookie, token
        self.reader = self.writer = None

    async def _connect(self):
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    async def _read_response(self):
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")  # one await for the whole head: the client's
        except asyncio.IncompleteReadError as exc:  # own CPU competes with the server's
            raise ConnectionError("closed") from exc
        status_line, *lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        headers = {}
        for line in lines:
            if line:
                name, _sep, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readline()).strip() or b"0", 16)
                if size == 0:
                    await self.reader.readline()
                    break
                body += await self.reader.readexactly(size)
                await self.reader.readline()
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
            self.reader = self.writer = None
        return status, headers, body

    async def request(self, method, path, body=b"", headers=None):
        headers = {
            "Host": f"{HOST}:{self.port}",
            "Cookie": self.cookie,
            "X-CSRFToken": self.token,
            "Content-Length": str(len(body)),
            **(headers or {}),
        }
        raw = (
            f"{method} {path} HTTP/1.1\r\n".encode()
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
            + b"\r\n"
            + body
        )
        for attempt in range(2):
            try:
                if self.writer is None:
                    await self._connect()
                started = time.perf_counter()
                self.writer.write(raw)
                await self.writer.drain()
                status, response_headers, data = await self._read_response()
                return status, response_headers, data, time.perf_counter() - started
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                if self.writer is not None:
                    self.writer.close()
                self.reader = self.writer = None
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    async def autosave(self, state, text):
        base = {state["field"]: state["hashes"][state["field"]]} if state["field"] in state["hashes"] else {}
        body = json.dumps({"version": state["version"], "fields": {state["field"]: text}, "base": base}).encode()
        status, _h, data, seconds = await self.request(
            "POST", f"/applications/{state['app']}/autosave/", body, {"Content-Type": "application/json"}
        )
        if status == 200:
            result = json.loads(data)
            state["version"] = result["version"]
            state["hashes"].update(result["hashes"])
            if state["field"] in result["applied"]:
                state["acknowledged"] = text
            if result["conflicts"]:
                state["conflicts"] = state.get("conflicts", 0) + 1
        return status, seconds

    async def upload(self, state, data: bytes):
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{self.token}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="document"\r\n\r\n{state["document"]}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="statute.pdf"\r\n'
                f"Content-Type: application/pdf\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        status, _h, _d, seconds = await self.request(
            "POST",
            f"/applications/{state['app']}/attachments/",
            body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        return status, seconds

    async def submit(self, state):
        body = f"csrfmiddlewaretoken={self.token}".encode()
        status, headers, _d, seconds = await self.request(
            "POST", f"/applications/{state['app']}/submit/", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        accepted = status == 302 and headers.get("location", "").endswith("/receipt/")
        return accepted, status, seconds

    def close(self):
        if self.writer is not None:
            self.writer.close()


async def sleep_until(moment):
    delay = moment - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


async def rush(port, clients, deadline, window, pdf):
    """Every organisation's day: autosave every 2 s, upload, submit (twice at once for some)."""
    lat = {"autosave": [], "submit": [], "upload": []}
    records, errors = [], []
    start = deadline - window

    async def organisation(state):
        rng = random.Random(state["index"])
        first, second = (Client(port, *c) for c in state["cookies"])
        state["submit_at"] = (
            deadline + rng.uniform(1.0, 3.0) if state["late"] else deadline - rng.uniform(3.0, max(3.5, window - 8.0))
        )
        double = not state["late"] and state["index"] % 4 == 0
        try:
            await sleep_until(start + rng.uniform(0, 2.0))
            k = 0
            while time.time() < state["submit_at"] - 4.0:
                k += 1
                began = time.time()
                status, seconds = await first.autosave(
                    state, f"Version {k} of organisation {state['index']}. " + FILLER * 4
                )
                lat["autosave"].append(seconds)
                if status != 200:
                    errors.append(f"autosave {status}")
                await sleep_until(began + 2.0)
            status, seconds = await first.upload(state, pdf)
            lat["upload"].append(seconds)
            if status != 302:
                errors.append(f"upload {status}")
            status, seconds = await first.autosave(state, f"Final text of organisation {state['index']}. " + FILLER * 4)
            lat["autosave"].append(seconds)
            await sleep_until(state["submit_at"])
            pressers = (first, second) if double else (first,)
            sent = time.time()
            outcomes = await asyncio.gather(*(c.submit(state) for c in pressers))
            for accepted, code, secs in outcomes:
                lat["submit"].append(secs)
                records.append(
                    {
                        "org": state["org"],
                        "app": state["app"],
                        "sent": sent,
                        "accepted": accepted,
                        "status": code,
                        "late": state["late"],
                        "text": state.get("acknowledged"),
                    }
                )
        except Exception as exc:  # a failed client is counted, never hidden
            errors.append(f"client {state['index']}: {type(exc).__name__}: {exc}")
        finally:
            first.close()
            second.close()

    await asyncio.gather(*(organisation(state) for state in clients))
    return lat, records, errors


async def capacity_slice(clients, seconds, counts, latencies):
    """Closed loop: each connection autosaves again as soon as the previous save answered."""
    stop_at = time.time() + seconds

    async def loop(n, state, client):
        while time.time() < stop_at:
            state["k"] = state.get("k", 0) + 1
            status, secs = await client.autosave(state, f"Closed loop {state['k']}. " + FILLER * 2)
            if status == 200:
                counts[n] += 1
                latencies.append(secs)

    await asyncio.gather(*(loop(n, state, client) for n, (state, client) in enumerate(clients)))


async def warm_up(port, clients, pdf):
    """Every client's first save, 32 at a time (the server's threads open their database
    connections), then a few uploads and submissions of applications outside the rush (each
    worker's first enqueue to the broker, first multipart parse): a server that has been up."""
    gate = asyncio.Semaphore(32)

    async def one(state):
        async with gate:
            client = Client(port, *state["cookies"][0])
            await client.autosave(state, "Warm-up. " + FILLER)
            if state.get("warm"):
                await client.upload(state, pdf)
                await client.submit(state)
            client.close()

    await asyncio.gather(*(one(s) for s in clients if not s.get("warm")))
    await asyncio.gather(*(one(s) for s in clients if s.get("warm")))


class WriteLimit:
    """One-row INSERT + COMMIT in a loop over one connection: what this database commits per second."""

    def __init__(self):
        import psycopg

        db = settings.DATABASES["default"]
        self.conn = psycopg.connect(
            host=db["HOST"] or HOST,
            port=db["PORT"] or 5432,
            user=db["USER"] or "postgres",
            password=db.get("PASSWORD") or None,
            dbname=db["NAME"],
            autocommit=False,
        )
        self.cur = self.conn.cursor()
        self.cur.execute("CREATE TABLE IF NOT EXISTS bench_write_limit (id bigserial PRIMARY KEY, v integer)")
        self.conn.commit()
        self.count, self.seconds = 0, 0.0

    def run(self, seconds) -> float:
        n, started = 0, time.perf_counter()
        stop = started + seconds
        while time.perf_counter() < stop:
            self.cur.execute("INSERT INTO bench_write_limit (v) VALUES (%s)", (n,))
            self.conn.commit()
            n += 1
        elapsed = time.perf_counter() - started
        self.count += n
        self.seconds += elapsed
        return n / elapsed

    def close(self):
        self.conn.close()


def cpu_seconds(server_group: int) -> dict:
    """CPU time used so far by the server (gunicorn's process group), PostgreSQL and this load
    generator, read from /proc (Linux); empty elsewhere."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"server": 0.0, "database": 0.0, "load generator": sum(os.times()[:2])}
    try:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
            who = "server" if int(fields[2]) == server_group else "database" if name == "postgres" else None
            if who:
                used[who] += (int(fields[11]) + int(fields[12])) / tick
    except FileNotFoundError:
        return {}
    return used


def capacity_and_limit(port, cap_clients, capacity_seconds, limit_seconds, slices, server_group):
    """Capacity and the write limit, measured in alternating slices: this machine's speed changes
    from one second to the next (a shared host), so each figure sees the same mix of fast and slow
    moments and their ratio is not an accident of which ran first. Also the CPU the server, the
    database and this load generator used per autosave (they share the machine's cores)."""
    limit = WriteLimit()
    counts, latencies, ratios = [0] * len(cap_clients), [], []
    clients = [(state, Client(port, *state["cookies"][0])) for state in cap_clients]
    measured = 0.0
    cpu = dict.fromkeys(cpu_seconds(server_group), 0.0)

    async def run():
        nonlocal measured
        for _ in range(slices):
            before, started, cpu_before = sum(counts), time.perf_counter(), cpu_seconds(server_group)
            await capacity_slice(clients, capacity_seconds / slices, counts, latencies)
            elapsed = time.perf_counter() - started
            for who, seconds in cpu_seconds(server_group).items():
                cpu[who] += seconds - cpu_before[who]
            measured += elapsed
            slice_rate = (sum(counts) - before) / elapsed
            ratios.append(slice_rate / limit.run(limit_seconds / slices))
        for _state, client in clients:
            client.close()

    try:
        asyncio.run(run())
        per_save = {who: seconds / max(sum(counts), 1) for who, seconds in cpu.items()}
        return sum(counts) / measured, latencies, limit.count / limit.seconds, ratios, per_save
    finally:
        limit.close()
