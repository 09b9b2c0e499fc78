#!/usr/bin/env bash
# Submits `eas infer` to Kubernetes in cluster mode: driver and executors are pods of the image built from
# deploy/docker/Dockerfile (shaded job jar at /opt/eas/eas-jobs-spark.jar, discovery script at
# /opt/eas/getGpusResources.sh). Each executor gets one GPU and runs two tasks at a time; both tasks use the
# executor's single model instance (the per-JVM model cache), so one copy of the weights serves two task threads.
# Arguments after the script name go to `eas infer` after the ones built here.
#
#   K8S_MASTER=k8s://https://10.0.0.1:6443 IMAGE=registry.example.com/eas-spark:0.1.0-cu128 \
#     MODEL=s3a://eas/models/lavin-eas-7b INPUT=s3a://eas/questions OUTPUT=s3a://eas/answers \
#     deploy/k8s/submit-k8s.sh --batch-size 16
#
# The image must carry a CUDA libtorch for GPU executors (see deploy/README.md, "GPU executors"); with the CPU
# image, run with GPUS_PER_EXECUTOR=0 DEVICE=cpu, which drops the GPU settings and the GPU pod template.
#
# Environment (defaults in brackets):
#   SPARK_HOME [/opt/spark]   a Spark 4.0 (Scala 2.13) install on the submitting machine
#   K8S_MASTER [k8s://https://kubernetes.default.svc:443]  the API server (this default works from inside a pod)
#   NAMESPACE [default]  SERVICE_ACCOUNT [spark]  (the driver's account must be allowed to create executor pods)
#   IMAGE [eas-spark:0.1.0]   pushed where the cluster can pull it
#   MODEL [s3a://eas/models/lavin-eas-7b]  INPUT [s3a://eas/questions]  OUTPUT [s3a://eas/answers]
#                             pods have no shared local disk: use s3a:// or hdfs:// paths
#   DEVICE [gpu]              gpu: a task without a GPU fails at once; auto: falls back to the CPU
#   NUM_EXECUTORS [2]
#   GPUS_PER_EXECUTOR [1]     0 for CPU executors
#   TASKS_PER_GPU [2]         tasks sharing one GPU (a whole number): spark.task.resource.gpu.amount = 1/TASKS_PER_GPU
#   EXECUTOR_CORES [8]        the CPU side of a GPU task is small: tokenizing, image decode, sampling
#   TASK_CPUS [EXECUTOR_CORES / TASKS_PER_GPU; EXECUTOR_CORES without GPUs]  so that cores and GPU slots allow
#                             the same number of concurrent tasks
#   TORCH_THREADS [=TASK_CPUS]
#   EXECUTOR_MEMORY [8g]      JVM heap
#   EXECUTOR_MEMORY_OVERHEAD [16g]  native memory outside the heap: on GPU the weights live in GPU memory and host
#                             memory holds only what loading stages there; use 36g for CPU executors (7B, fp32)
#   MAX_DIRECT_MEMORY [8g]    -XX:MaxDirectMemorySize; 30g for CPU executors (fp32 weights sit in direct buffers)
#   DRIVER_MEMORY [4g]
#   POD_TEMPLATE [deploy/k8s/pod-template-gpu.yaml]  executor pod template, read on this machine
#   S3A_PACKAGES [org.apache.hadoop:hadoop-aws:3.4.1]  added with --packages when a path is s3a://; 'none' when the
#                             image already has hadoop-aws and its AWS SDK bundle in /opt/spark/jars
#   S3_ENDPOINT, S3_PATH_STYLE [unset]  spark.hadoop.fs.s3a.endpoint / .path.style.access when set
#   DRY_RUN [0]               1: print the spark-submit command instead of running it
set -euo pipefail
# shellcheck source=deploy/lib/submit-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/submit-common.sh"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SPARK_HOME="${SPARK_HOME:-/opt/spark}"
K8S_MASTER="${K8S_MASTER:-k8s://https://kubernetes.default.svc:443}"
NAMESPACE="${NAMESPACE:-default}"
SERVICE_ACCOUNT="${SERVICE_ACCOUNT:-spark}"
IMAGE="${IMAGE:-eas-spark:0.1.0}"
MODEL="${MODEL:-s3a://eas/models/lavin-eas-7b}"
INPUT="${INPUT:-s3a://eas/questions}"
OUTPUT="${OUTPUT:-s3a://eas/answers}"
DEVICE="${DEVICE:-gpu}"
NUM_EXECUTORS="${NUM_EXECUTORS:-2}"
GPUS_PER_EXECUTOR="${GPUS_PER_EXECUTOR:-1}"
TASKS_PER_GPU="${TASKS_PER_GPU:-2}"
EXECUTOR_CORES="${EXECUTOR_CORES:-8}"
if [[ ! "$TASKS_PER_GPU" =~ ^[1-9][0-9]*$ ]]; then
  echo "submit-k8s.sh: TASKS_PER_GPU must be a whole number >= 1 but is '$TASKS_PER_GPU'" >&2
  exit 2
fi
if [[ "$GPUS_PER_EXECUTOR" == 0 ]]; then
  TASK_CPUS="${TASK_CPUS:-$EXECUTOR_CORES}"
else
  TASK_CPUS="${TASK_CPUS:-$((EXECUTOR_CORES / TASKS_PER_GPU))}"
fi
TORCH_THREADS="${TORCH_THREADS:-$TASK_CPUS}"
EXECUTOR_MEMORY="${EXECUTOR_MEMORY:-8g}"
EXECUTOR_MEMORY_OVERHEAD="${EXECUTOR_MEMORY_OVERHEAD:-16g}"
MAX_DIRECT_MEMORY="${MAX_DIRECT_MEMORY:-8g}"
DRIVER_MEMORY="${DRIVER_MEMORY:-4g}"
POD_TEMPLATE="${POD_TEMPLATE:-$HERE/pod-template-gpu.yaml}"
S3A_PACKAGES="${S3A_PACKAGES:-org.apache.hadoop:hadoop-aws:3.4.1}"
DRY_RUN="${DRY_RUN:-0}"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit 0
fi
if [[ "$TASK_CPUS" -lt 1 ]]; then
  echo "submit-k8s.sh: TASK_CPUS must be >= 1 but EXECUTOR_CORES=$EXECUTOR_CORES / TASKS_PER_GPU=$TASKS_PER_GPU gives $TASK_CPUS" >&2
  exit 2
fi
if [[ "$DRY_RUN" != 1 && ! -x "$SPARK_HOME/bin/spark-submit" ]]; then
  echo "submit-k8s.sh: $SPARK_HOME/bin/spark-submit not found: set SPARK_HOME to a Spark 4.0 (Scala 2.13) install" >&2
  exit 1
fi

cmd=(
  "$SPARK_HOME/bin/spark-submit"
  --master "$K8S_MASTER"
  --deploy-mode cluster
  --name eas-infer
  --class io.easspark.jobs.EasCli
  --driver-memory "$DRIVER_MEMORY"
  --conf "spark.kubernetes.namespace=$NAMESPACE"
  --conf "spark.kubernetes.authenticate.driver.serviceAccountName=$SERVICE_ACCOUNT"
  --conf "spark.kubernetes.container.image=$IMAGE"
  --conf "spark.executor.instances=$NUM_EXECUTORS"
  --conf "spark.executor.cores=$EXECUTOR_CORES"
  --conf "spark.task.cpus=$TASK_CPUS"
  --conf "spark.executor.memory=$EXECUTOR_MEMORY"
  # libtorch allocates outside the JVM heap; the pod's memory limit is heap + overhead
  --conf "spark.executor.memoryOverhead=$EXECUTOR_MEMORY_OVERHEAD"
  # offline: libtorch comes from the image, never from the network; num_threads: libtorch threads per task
  --conf "spark.executor.extraJavaOptions=-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=$TORCH_THREADS -XX:MaxDirectMemorySize=$MAX_DIRECT_MEMORY"
  # node-local disk for the extracted natives (the GPU pod template mounts an emptyDir there; the image sets the
  # same DJL_CACHE_DIR for the driver)
  --conf spark.executorEnv.DJL_CACHE_DIR=/tmp/eas-djl
  --conf spark.speculation=false
)
if [[ "$GPUS_PER_EXECUTOR" != 0 ]]; then
  task_gpu="$(awk -v n="$TASKS_PER_GPU" 'BEGIN { printf "%.4g", 1 / n }')"
  cmd+=(
    # Spark asks Kubernetes for nvidia.com/gpu on each executor pod ...
    --conf "spark.executor.resource.gpu.amount=$GPUS_PER_EXECUTOR"
    --conf spark.executor.resource.gpu.vendor=nvidia.com
    # ... and the executor learns which GPU it got from the discovery script in the image
    --conf spark.executor.resource.gpu.discoveryScript=/opt/eas/getGpusResources.sh
    # 0.5: two tasks share a GPU, and through the per-JVM model cache the one model instance on it
    --conf "spark.task.resource.gpu.amount=$task_gpu"
    # nvidia-smi numbers GPUs by PCI bus; make CUDA (libtorch) use the same order
    --conf spark.executorEnv.CUDA_DEVICE_ORDER=PCI_BUS_ID
    --conf "spark.kubernetes.executor.podTemplateFile=$POD_TEMPLATE"
    --conf spark.kubernetes.executor.podTemplateContainerName=executor
  )
fi
# the driver pod resolves --packages itself; the image's spark user has no home to keep Ivy's cache in
eas_add_s3a_args --conf spark.jars.ivy=/tmp/.ivy2
eas_submit_infer local:///opt/eas/eas-jobs-spark.jar "$@"
