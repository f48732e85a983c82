"""How gunicorn serves Hromada, in production (Dockerfile, docker-compose.yml) and in
bench/deadline_rush.py alike. One process per CPU, because threads of one process share one
interpreter lock; a few threads each, so a worker keeps serving autosaves while one of its
threads waits on an upload or a download. Not more: in bench/deadline_rush.py 8 threads per
process cost about a quarter more CPU per autosave than 2 or 4 (threads queueing for the lock)
and lowered capacity from 0.27-0.29x to 0.23-0.24x of the write limit. WEB_WORKERS and
WEB_THREADS override both.

Slow clients: a gthread worker hands a connection to a thread once its first bytes arrive, and
the thread then waits for the request body while the application reads it. gunicorn bounds
the request line and headers by size (limit_request_*), and defers a new connection that sends
nothing for a few seconds back to its poller, but nothing bounds the time a body takes: a dozen
clients sending one byte a second hold every thread of two four-thread workers, and the site
stops answering. `timeout` does not help (the worker's main loop keeps reporting alive while its
threads wait). So gunicorn never faces clients in production: the nginx proxy of
docker-compose.yml (deploy/nginx/hromada.conf) reads each request to its end first
(tests/integration/test_slow_clients.py shows both). Run without it only for development, on
the loopback address this file binds by default."""

import os

# Loopback unless told: bare gunicorn is for development. The container binds 0.0.0.0:8000 on
# the compose network, where only the proxy reaches it.
bind = os.environ.get("WEB_BIND_ADDRESS", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", os.cpu_count() or 2))
threads = int(os.environ.get("WEB_THREADS", 4))
# Each worker listens on its own socket (SO_REUSEPORT) and the kernel spreads new connections
# over them. With one shared socket the busiest worker's main thread wins most accepts, and kept-
# alive connections (a proxy's upstream pool, browsers autosaving) stay on it: measured here, 14
# of 16 connections on one of two workers, the other idle. Trade-off: a connection still in a
# worker's accept queue when that worker exits is reset.
reuse_port = True
# seconds: longer than the proxy's idle upstream connections live (nginx closes them after 60 s,
# so it never reuses one gunicorn is closing), and than the form's autosave interval. An idle
# kept-alive connection waits in the worker's poller, not in a thread.
keepalive = 75
# Request line and headers, by size (gunicorn's defaults, named here): nginx reads them first
# with its own limits (8 KB per line), so a longer request line is refused here with 414.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
backlog = 2048
timeout = 120
accesslog = "-"
