FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY recordstore recordstore
COPY les les
COPY workflows workflows
COPY activities activities
COPY mediation mediation
COPY standards standards
COPY worker.py starter.py ./
RUN pip install --no-cache-dir .
# The worker runs unprivileged and owns only its state and delivery folders; the papers are read-only.
RUN groupadd --system --gid 10001 les \
 && useradd --system --uid 10001 --gid les --no-create-home --shell /usr/sbin/nologin les \
 && mkdir -p /var/lib/les /deliveries /documents \
 && chown les:les /var/lib/les /deliveries
ENV LES_STATE_DIR=/var/lib/les LES_DELIVERY_ROOT=/deliveries LES_DOCUMENTS_ROOT=/documents \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
CMD ["python", "worker.py"]
