"""How gunicorn serves Hromada, in production (Dockerfile, docker-compose.yml) and in
bench/deadline_rush.py alike. Threads, because a request mostly waits on the database and the
browser keeps its connection open between autosaves; one process per CPU, because threads of
one process share one interpreter lock. WEB_WORKERS and WEB_THREADS override both."""
import os

bind = os.environ.get("WEB_BIND_ADDRESS", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", os.cpu_count() or 2))
threads = int(os.environ.get("WEB_THREADS", 8))
keepalive = 75  # seconds: longer than the form's autosave interval, so a typing applicant keeps one connection
backlog = 2048
timeout = 120
accesslog = "-"
