# One image for every role; the command chooses it:
#   docker run leadhub                      -> web role (leadhub serve on 0.0.0.0:8000)
#   docker run leadhub worker               -> worker role
#   docker run leadhub migrate              -> upgrade the database schema, then exit
# See docs/operations.md and compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LEADHUB_DATA_DIR=/data

# Every package that pyproject.toml installs, plus the files the build reads.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY core ./core
COPY connectors ./connectors
COPY mappings ./mappings
COPY sync ./sync
COPY webhooks ./webhooks
COPY admin ./admin

# A regular (non-editable) install; the sources are removed so only the installed copy can run.
RUN pip install . \
    && cd / && rm -rf /src

# A fixed numeric uid, so that runAsNonRoot checks can verify it.
RUN groupadd --gid 10001 leadhub \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /data --shell /usr/sbin/nologin leadhub \
    && mkdir -p /data \
    && chown leadhub:leadhub /data

USER 10001:10001
WORKDIR /data

EXPOSE 8000

# The web role answers /healthz; compose.yaml turns this check off for the worker and migrate.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["leadhub"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
