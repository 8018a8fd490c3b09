# syntax=docker/dockerfile:1.7
# CALL-E gateway (FastAPI + gRPC in front of Triton) and load-test image.
#   docker build -f docker/gateway.Dockerfile -t calle-gateway:0.1.0 .
# No torch, transformers or ONNX: the gateway imports only what docker/gateway-requirements.txt
# lists (tests/k8s/test_docker.py checks that against its imports); the project itself is
# installed with --no-deps. Runs as uid 10001 with a read-only root filesystem in k8s.

FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY docker/gateway-requirements.txt /tmp/gateway-requirements.txt
RUN pip install --upgrade pip setuptools wheel \
 && pip install -r /tmp/gateway-requirements.txt
WORKDIR /src
COPY . .
# The gRPC code is generated at build time (git-ignored, never edited), as `make install` does.
RUN pip install grpcio-tools==1.81.1 \
 && mkdir -p gateway/grpc/generated \
 && python -m grpc_tools.protoc -Igateway/grpc/generated=gateway/grpc --python_out=. \
      --pyi_out=. --grpc_python_out=. gateway/grpc/generated/calle.proto \
 && touch gateway/grpc/generated/__init__.py \
 && pip uninstall -y grpcio-tools \
 && pip install --no-deps .

FROM python:3.11.11-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="calle-gateway" \
      org.opencontainers.image.description="CALL-E serving gateway (FastAPI + gRPC) and Locust load test" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 calle \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin calle
COPY --from=build /opt/venv /opt/venv
# The load-test scenarios, by path: the k8s loadtest overlay runs `locust` in /app with
# LOCUST_LOCUSTFILE=loadtest/scenarios/... (the package itself is installed in the venv too).
WORKDIR /app
COPY --chown=root:root loadtest ./loadtest
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    CALLE_HTTP_HOST=0.0.0.0 \
    CALLE_HTTP_PORT=8080 \
    CALLE_GRPC_PORT=50051
USER 10001:10001
EXPOSE 8080 50051
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CALLE_HTTP_PORT', '8080'), timeout=2)"]
CMD ["calle", "gateway"]
