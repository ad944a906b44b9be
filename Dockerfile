# One image for the web server and the Celery workers (docker-compose.yml picks the command).
# Build: docker build -t maskwatch .   (the frontend is built in its own stage)
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    OMP_NUM_THREADS=1 MASKWATCH_INSTANCE=/data FRONTEND_DIST=/app/frontend/dist
# libgomp1: torch's OpenMP; curl: health checks
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend/ backend/
# The CPU build of torch (the default index serves a multi-GB CUDA one); the rest from pyproject.toml.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -e .
COPY migrations/ migrations/
COPY models/ models/
COPY --from=frontend /src/frontend/dist frontend/dist
RUN useradd --create-home --uid 1000 maskwatch && mkdir -p /data && chown maskwatch /data
USER maskwatch
VOLUME /data
EXPOSE 5000
CMD ["maskwatch", "serve", "--host", "0.0.0.0", "--port", "5000"]
