#!/usr/bin/env bash
# Spark GPU discovery script for eas-spark executors
# (spark.executor.resource.gpu.discoveryScript=/opt/eas/getGpusResources.sh in the image).
#
# Spark runs it once when an executor starts, parses its standard output as one JSON object
# {"name": "gpu", "addresses": ["0", "1"]} and fails the executor if "name" is not the resource asked for, if the
# script exits non-zero, or if there are fewer addresses than spark.executor.resource.gpu.amount. The addresses are
# what TaskContext.resources() hands each task, and the job turns the task's address into libtorch's GPU index:
# inside a container that was given its GPUs (Kubernetes device plugin, YARN with GPU isolation), nvidia-smi numbers
# exactly those from 0. Set CUDA_DEVICE_ORDER=PCI_BUS_ID on executors so CUDA numbers them in nvidia-smi's order.
#
# Without nvidia-smi (a CPU-only node or image) it reports no GPUs and exits 0: an executor that asked for a GPU
# then fails with Spark's own message ("Resource: gpu, with addresses:  is less than what the user requested: 1"),
# which says more than a failed script. Only JSON goes to standard output; notes go to standard error.
set -euo pipefail

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "getGpusResources.sh: nvidia-smi not found; reporting no GPUs" >&2
  echo '{"name": "gpu", "addresses": []}'
  exit 0
fi

status=0
out="$(nvidia-smi --query-gpu=index --format=csv,noheader)" || status=$?
if [[ "$out" == *"No devices were found"* ]]; then
  # a driver but no GPU given to this container: the same as a CPU node
  echo "getGpusResources.sh: nvidia-smi found no devices; reporting no GPUs" >&2
  echo '{"name": "gpu", "addresses": []}'
  exit 0
fi
if [[ $status -ne 0 ]]; then
  # nvidia-smi is there but cannot talk to the driver: a broken node, not a CPU node
  echo "getGpusResources.sh: nvidia-smi --query-gpu=index failed: ${out//$'\n'/ }" >&2
  exit 1
fi

addresses=""
while IFS= read -r line; do
  index="${line//[[:space:]]/}"
  if [[ -z "$index" ]]; then
    continue
  fi
  if [[ ! "$index" =~ ^[0-9]+$ ]]; then
    echo "getGpusResources.sh: expected a GPU index from nvidia-smi but found '$line'" >&2
    exit 1
  fi
  addresses+="${addresses:+, }\"$index\""
done <<<"$out"

echo "{\"name\": \"gpu\", \"addresses\": [$addresses]}"
