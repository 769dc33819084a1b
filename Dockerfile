# syntax=docker/dockerfile:1
# marketbrief: the Telegram bot as a container, following uv's Docker guide
# (dependencies in their own layer, then the project).
FROM python:3.11-slim-bookworm

COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /uvx /bin/

# Compile bytecode at build time (a faster start: the image's files are read-only to the bot);
# copy from the cache mount instead of linking.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    PYTHONUNBUFFERED=1

WORKDIR /app

# Dependencies only: this layer is rebuilt when uv.lock or pyproject.toml change, not the code.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-install-project --no-dev --extra web

# Then the project itself.
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --extra web \
    && .venv/bin/python -m compileall -q bot briefings

# An unprivileged user owns the data directory, a volume: prices, subscriptions, logs of sends.
RUN groupadd --system --gid 999 marketbrief \
    && useradd --system --uid 999 --gid 999 --home-dir /data --no-create-home marketbrief \
    && mkdir -p /data \
    && chown marketbrief:marketbrief /data
VOLUME ["/data"]

ENV PATH="/app/.venv/bin:$PATH" \
    MARKETBRIEF_DATA_DIR=/data \
    MARKETBRIEF_CACHE_DIR=/data/cache \
    MARKETBRIEF_HEALTH=0.0.0.0:8080 \
    MARKETBRIEF_LISTEN=0.0.0.0:8080

USER marketbrief
EXPOSE 8080

# /healthz answers 503 until the bot has started and while the price store is unreadable.
# (`marketbrief health` in 0.05 s: no Telegram or pandas import every 30 seconds.)
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.runtime.healthcheck"]

# SIGTERM (docker stop) stops the bot cleanly.
STOPSIGNAL SIGTERM
CMD ["marketbrief", "run"]
