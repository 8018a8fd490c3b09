#!/bin/sh
# Wait for a Job to finish, either way: exits 0 when it is Complete, 1 when it Failed (printing
# the tail of its log) or when TIMEOUT_S pass. `kubectl wait --for=condition=complete` alone
# never returns for a Failed Job; this is the OR that kubectl's own help suggests.
#   k8s/wait-job.sh calle-locust-master 1800
#   k8s/wait-job.sh calle-export-models 7200
# Environment: NAMESPACE (default calle), KUBECTL (default kubectl), POLL_S (default 5).
set -u
job=${1:?usage: k8s/wait-job.sh JOB [TIMEOUT_S]}
timeout_s=${2:-1800}
ns=${NAMESPACE:-calle}
kubectl=${KUBECTL:-kubectl}
poll_s=${POLL_S:-5}
start=$(date +%s)
while :; do
  if "$kubectl" -n "$ns" wait "job/$job" --for=condition=Complete --timeout=1s >/dev/null 2>&1; then
    echo "job/$job complete"
    exit 0
  fi
  if "$kubectl" -n "$ns" wait "job/$job" --for=condition=Failed --timeout=1s >/dev/null 2>&1; then
    echo "job/$job FAILED; last log lines:" >&2
    "$kubectl" -n "$ns" logs "job/$job" --tail=40 >&2 || true
    exit 1
  fi
  if [ $(($(date +%s) - start)) -ge "$timeout_s" ]; then
    echo "job/$job neither complete nor failed after ${timeout_s}s" >&2
    exit 1
  fi
  sleep "$poll_s"
done
