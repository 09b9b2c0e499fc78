#!/usr/bin/env bash
# Submits `eas infer` to a Spark standalone cluster with the shaded job jar (jobs/target/eas-jobs-spark.jar:
# Spark, Hadoop and Scala come from the cluster; DJL and the CPU libtorch are inside). Arguments after the script
# name go to `eas infer` after the ones built here (e.g. --batch-size 16 --skip-plan 19,21-31).
#
#   MASTER=spark://master:7077 MODEL=hdfs:///eas/models/lavin-eas-7b INPUT=hdfs:///eas/questions \
#     OUTPUT=hdfs:///eas/answers deploy/submit-standalone.sh --image-root hdfs:///eas/images
#
# Environment (defaults in brackets):
#   SPARK_HOME [/opt/spark]  MASTER [spark://127.0.0.1:7077]  DEPLOY_MODE [client]
#   JAR [<repo>/jobs/target/eas-jobs-spark.jar]
#   MODEL [hdfs:///eas/models/lavin-eas-7b]  INPUT [hdfs:///eas/questions]  OUTPUT [hdfs:///eas/answers]
#   DEVICE [cpu]
#   EXECUTOR_CORES [16]      cores per executor
#   TASK_CPUS [=EXECUTOR_CORES]  cores per task: equal to EXECUTOR_CORES runs one task per executor, so the
#                            executor's one model instance gets every core; EXECUTOR_CORES/2 runs two tasks that
#                            share that instance (per-JVM model cache), each with half the cores
#   TORCH_THREADS [=TASK_CPUS]   libtorch intra-op threads per running task (-Dai.djl.pytorch.num_threads)
#   TOTAL_EXECUTOR_CORES [32]    cores for the whole application (32 / 16 = 2 executors)
#   EXECUTOR_MEMORY [8g]     JVM heap per executor; the model is not on it
#   MAX_DIRECT_MEMORY [30g]  -XX:MaxDirectMemorySize: fp32 weights sit in JVM direct buffers (~27 GiB for 7B)
#   DRIVER_MEMORY [4g]
#   EXECUTOR_DJL_CACHE_DIR [/tmp/eas-djl]  local disk on each worker; ~430 MB of libtorch is extracted there once
#   S3A_PACKAGES [org.apache.hadoop:hadoop-aws:3.4.1]  added with --packages when a path is s3a://; 'none' to skip
#   S3_ENDPOINT, S3_PATH_STYLE [unset]  spark.hadoop.fs.s3a.endpoint / .path.style.access when set
#   PROPERTIES_FILE [unset]  e.g. conf/spark-defaults.example.conf, passed with --properties-file
#   DRY_RUN [0]              1: print the spark-submit command instead of running it
#
# Memory on standalone: the worker books only spark.executor.memory (the heap) against SPARK_WORKER_MEMORY;
# spark.executor.memoryOverhead is not used by standalone. The ~33 GiB of native memory a 7B fp32 model needs
# (weights, KV cache, libtorch scratch) is outside that booking, so give each executor all of a worker's cores
# (one executor per node) and leave heap + ~36 GiB free on every node. See deploy/README.md, "Memory sizing".
set -euo pipefail
# shellcheck source=deploy/lib/submit-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/submit-common.sh"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPARK_HOME="${SPARK_HOME:-/opt/spark}"
MASTER="${MASTER:-spark://127.0.0.1:7077}"
DEPLOY_MODE="${DEPLOY_MODE:-client}"
JAR="${JAR:-$ROOT/jobs/target/eas-jobs-spark.jar}"
MODEL="${MODEL:-hdfs:///eas/models/lavin-eas-7b}"
INPUT="${INPUT:-hdfs:///eas/questions}"
OUTPUT="${OUTPUT:-hdfs:///eas/answers}"
DEVICE="${DEVICE:-cpu}"
EXECUTOR_CORES="${EXECUTOR_CORES:-16}"
TASK_CPUS="${TASK_CPUS:-$EXECUTOR_CORES}"
TORCH_THREADS="${TORCH_THREADS:-$TASK_CPUS}"
TOTAL_EXECUTOR_CORES="${TOTAL_EXECUTOR_CORES:-32}"
EXECUTOR_MEMORY="${EXECUTOR_MEMORY:-8g}"
MAX_DIRECT_MEMORY="${MAX_DIRECT_MEMORY:-30g}"
DRIVER_MEMORY="${DRIVER_MEMORY:-4g}"
EXECUTOR_DJL_CACHE_DIR="${EXECUTOR_DJL_CACHE_DIR:-/tmp/eas-djl}"
S3A_PACKAGES="${S3A_PACKAGES:-org.apache.hadoop:hadoop-aws:3.4.1}"
DRY_RUN="${DRY_RUN:-0}"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit 0
fi
if [[ "$DRY_RUN" != 1 ]]; then
  if [[ ! -x "$SPARK_HOME/bin/spark-submit" ]]; then
    echo "submit-standalone.sh: $SPARK_HOME/bin/spark-submit not found: set SPARK_HOME to a Spark 4.0 (Scala 2.13) install" >&2
    exit 1
  fi
  if [[ ! -f "$JAR" ]]; then
    echo "submit-standalone.sh: $JAR not found: build it with ./mvnw -DskipTests package" >&2
    exit 1
  fi
fi

cmd=(
  "$SPARK_HOME/bin/spark-submit"
  --master "$MASTER"
  --deploy-mode "$DEPLOY_MODE"
  --name eas-infer
  --class io.easspark.jobs.EasCli
  --driver-memory "$DRIVER_MEMORY"
  --executor-memory "$EXECUTOR_MEMORY"
  --executor-cores "$EXECUTOR_CORES"
  --total-executor-cores "$TOTAL_EXECUTOR_CORES"
  --conf "spark.task.cpus=$TASK_CPUS"
  # offline: libtorch comes from the jar, never from the network; num_threads: one libtorch pool per task's cores;
  # MaxDirectMemorySize: room for the weights in direct buffers (the default cap is the heap size)
  --conf "spark.executor.extraJavaOptions=-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=$TORCH_THREADS -XX:MaxDirectMemorySize=$MAX_DIRECT_MEMORY"
  --conf "spark.executorEnv.DJL_CACHE_DIR=$EXECUTOR_DJL_CACHE_DIR"
  # a speculative copy of a slow task would redo minutes of generation on another executor, which may first
  # have to load its own model; answers are deterministic, so nothing is gained
  --conf spark.speculation=false
)
if [[ -n "${PROPERTIES_FILE:-}" ]]; then
  cmd+=(--properties-file "$PROPERTIES_FILE")
fi
eas_add_s3a_args
# the driver (client mode: this machine) also loads DJL natives (tokenizer, model checks)
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.cache/eas-djl}"
eas_submit_infer "$JAR" "$@"
