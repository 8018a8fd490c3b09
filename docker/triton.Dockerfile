# syntax=docker/dockerfile:1.7
# Triton Inference Server 24.10 (Triton 2.51, the release the local nvidia-pytriton wheel
# carries) plus the Python packages our Python-backend models import and our own package (the
# portable flavour's models import `calle`).
#   docker build -f docker/triton.Dockerfile -t calle-triton:0.1.0 .
# The image's Python is 3.10: docker/triton-requirements.txt pins releases with cp310 wheels.
# In k8s it runs as the image's triton-server user (uid 1000) with a read-only root filesystem.

FROM nvcr.io/nvidia/tritonserver:24.10-py3

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# torch first, from the CPU index: the CUDA build from PyPI would add several GB for nothing
# (ONNX Runtime runs the models on the GPU).
RUN python3 -m pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"
COPY docker/triton-requirements.txt /tmp/triton-requirements.txt
RUN python3 -m pip install -r /tmp/triton-requirements.txt

# Our package, without its dependencies (they are above, in their Python 3.10 releases).
COPY . /tmp/calle-src
RUN python3 -m pip install --no-deps /tmp/calle-src \
 && rm -rf /tmp/calle-src \
 && python3 -c "import calle, onnxruntime, transformers, diffusers, torch; print(onnxruntime.get_available_providers())"

ENV HOME=/tmp \
    HF_HOME=/tmp/huggingface \
    PYTHONUNBUFFERED=1 \
    OMP_NUM_THREADS=1
USER 1000:1000
EXPOSE 8000 8001 8002
HEALTHCHECK --interval=30s --timeout=5s --start-period=600s --retries=3 \
  CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/v2/health/live', timeout=3)"]
# The NGC entrypoint stays; k8s passes `tritonserver --model-repository=/models/current ...` as
# args (/models/current: the export volume's switch, export/versions.py).
CMD ["tritonserver", "--model-repository=/models/current", "--model-control-mode=none"]
