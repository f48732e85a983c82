# Hromada production image: gunicorn serves the site (whitenoise serves static files); the
# same image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH="/app/.venv/bin:$PATH"

# gettext: compilemessages at build time; fonts-dejavu-core: PDF generation (reportlab).
# No libpq5: psycopg[binary] ships its own libpq.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

# Same uv as the one that wrote uv.lock.
RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
RUN uv sync --frozen --no-dev

# Translations and static files are built into the image. The environment here only lets
# settings load (DEBUG=false needs a SECRET_KEY and the open-data publisher); none of it reaches
# the running container.
RUN DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    OPENDATA_360G_PREFIX=build-only OPENDATA_IATI_REPORTING_ORG=build-only OPENDATA_PUBLISHER_NAME=build-only \
    sh -c 'python manage.py compilemessages --ignore .venv \
        && python manage.py collectstatic --noinput \
        && rm -f /tmp/build.sqlite3*'

# Non-root runtime user; it owns only the upload directories (a volume in docker-compose.yml).
RUN groupadd --system --gid 10001 hromada \
 && useradd --system --uid 10001 --gid hromada --home-dir /home/hromada --create-home hromada \
 && mkdir -p /data/media /data/private /app/var/media /app/var/private \
 && chown -R hromada:hromada /data /app/var/media /app/var/private
ENV MEDIA_ROOT=/data/media \
    PRIVATE_STORAGE_ROOT=/data/private
USER hromada

# gunicorn must not face clients itself (a thread waits for each request's body): run it behind
# the buffering proxy, as docker-compose.yml does (deploy/nginx/hromada.conf).
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
