# syntax=docker/dockerfile:1.7
# Model export image: `calle export` turns the summarizer and diffusion checkpoints into ONNX and
# writes the Triton model repository (run by the k8s Job k8s/base/export/job.yaml).
#   docker build -f docker/export.Dockerfile -t calle-export:0.1.0 .
# CPU only: exporting needs torch, transformers, diffusers, onnx, onnxscript and onnxruntime
# (for the checks), not a GPU.
# checkov:skip=CKV_DOCKER_2:a run-to-completion Job image serves nothing a HEALTHCHECK could probe

FROM python:3.11.11-slim-bookworm AS build
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install --upgrade pip setuptools wheel \
 && pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"
COPY docker/export-requirements.txt /tmp/export-requirements.txt
RUN pip install -r /tmp/export-requirements.txt
WORKDIR /src
COPY . .
RUN pip install --no-deps . \
 && calle export --help > /dev/null

FROM python:3.11.11-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="calle-export" \
      org.opencontainers.image.description="CALL-E model export (ONNX + Triton model repository)" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 calle \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home \
      --shell /usr/sbin/nologin calle
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    HF_HOME=/tmp/huggingface
WORKDIR /tmp
USER 10001:10001
ENTRYPOINT ["calle"]
# /models: a volume (never deleted; versions/<id>/ and the switch current go there).
CMD ["export", "--preset", "small", "--flavour", "native", "--output", "/models", \
     "--checkpoints", "/cache/checkpoints"]
