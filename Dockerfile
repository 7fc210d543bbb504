# The LES image: the worker, the starter and the codec servers, with the runtime dependencies and
# the `tracing` extra only (no Temporal CLI, no matplotlib), installed from requirements.lock with
# every hash checked, so two builds of one commit install the same files. Regenerate the lock
# after changing pyproject.toml's dependencies (docs/operations.md "The image"):
#   .venv/bin/uv pip compile pyproject.toml --extra tracing --generate-hashes --python-version 3.11 \
#       --python-platform x86_64-manylinux_2_28 --no-header -o requirements.lock
# Pin the base image by digest (python:3.11-slim@sha256:...) in the carrier's registry mirror.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY domain domain
COPY recordstore recordstore
COPY les les
COPY console console
COPY workflows workflows
COPY activities activities
COPY mediation mediation
COPY standards standards
COPY worker.py starter.py ./
# The project runs from /app as source (no build step that would fetch unhashed build tools).
# The worker runs unprivileged and owns only its state and delivery folders; the papers are read-only.
RUN groupadd --system --gid 10001 les \
 && useradd --system --uid 10001 --gid les --no-create-home --shell /usr/sbin/nologin les \
 && mkdir -p /var/lib/les /deliveries /documents \
 && chown les:les /var/lib/les /deliveries \
 && chmod 0700 /var/lib/les
ENV PYTHONPATH=/app LES_STATE_DIR=/var/lib/les LES_DELIVERY_ROOT=/deliveries LES_DOCUMENTS_ROOT=/documents \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LES_LOG_FORMAT=json
USER 10001:10001
CMD ["python", "worker.py"]
