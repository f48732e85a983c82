"""How gunicorn serves Hromada, in production (Dockerfile, docker-compose.yml) and in
bench/deadline_rush.py alike. One process per CPU, because threads of one process share one
interpreter lock; a few threads each, so a worker keeps serving autosaves while one of its
threads waits on an upload or a download. Not more: in bench/deadline_rush.py 8 threads per
process cost about a quarter more CPU per autosave than 2 or 4 (threads queueing for the lock)
and lowered capacity from 0.27-0.29x to 0.23-0.24x of the write limit. WEB_WORKERS and
WEB_THREADS override both."""

import os

bind = os.environ.get("WEB_BIND_ADDRESS", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", os.cpu_count() or 2))
threads = int(os.environ.get("WEB_THREADS", 4))
# Each worker listens on its own socket (SO_REUSEPORT) and the kernel spreads new connections
# over them. With one shared socket the busiest worker's main thread wins most accepts, and kept-
# alive connections (a proxy's upstream pool, browsers autosaving) stay on it: measured here, 14
# of 16 connections on one of two workers, the other idle. Trade-off: a connection still in a
# worker's accept queue when that worker exits is reset.
reuse_port = True
keepalive = 75  # seconds: longer than the form's autosave interval, so a typing applicant keeps one connection
backlog = 2048
timeout = 120
accesslog = "-"
