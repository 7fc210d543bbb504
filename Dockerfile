FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY recordstore recordstore
COPY les les
COPY workflows workflows
COPY activities activities
COPY worker.py starter.py ./
RUN pip install --no-cache-dir .
USER nobody
CMD ["python", "worker.py"]
