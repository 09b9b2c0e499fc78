#!/usr/bin/env bash
# Submits `eas infer` to YARN with the shaded job jar (jobs/target/eas-jobs-spark.jar: Spark, Hadoop and Scala come
# from the cluster; DJL and the CPU libtorch are inside). Arguments after the script name go to `eas infer` after
# the ones built here (e.g. --batch-size 16 --skip-plan 19,21-31).
#
#   HADOOP_CONF_DIR=/etc/hadoop/conf MODEL=hdfs:///eas/models/lavin-eas-7b INPUT=hdfs:///eas/questions \
#     OUTPUT=hdfs:///eas/answers deploy/submit-yarn.sh --image-root hdfs:///eas/images
#
# Environment (defaults in brackets):
#   SPARK_HOME [/opt/spark]  MASTER [yarn]  DEPLOY_MODE [cluster]  QUEUE [unset]
#   HADOOP_CONF_DIR or YARN_CONF_DIR must point at the cluster's configuration (spark-submit needs it for yarn)
#   JAR [<repo>/jobs/target/eas-jobs-spark.jar]
#   MODEL [hdfs:///eas/models/lavin-eas-7b]  INPUT [hdfs:///eas/questions]  OUTPUT [hdfs:///eas/answers]
#   DEVICE [cpu]
#   NUM_EXECUTORS [2]
#   EXECUTOR_CORES [16]      cores per executor (YARN vcores)
#   TASK_CPUS [=EXECUTOR_CORES]  cores per task: equal to EXECUTOR_CORES runs one task per executor, so the
#                            executor's one model instance gets every core; EXECUTOR_CORES/2 runs two tasks that
#                            share that instance (per-JVM model cache), each with half the cores
#   TORCH_THREADS [=TASK_CPUS]   libtorch intra-op threads per running task (-Dai.djl.pytorch.num_threads)
#   EXECUTOR_MEMORY [8g]     JVM heap per executor; the model is not on it
#   EXECUTOR_MEMORY_OVERHEAD [36g]  native memory per executor: weights (~27 GiB fp32 for 7B), KV cache,
#                            libtorch scratch. YARN kills a container whose RSS passes heap + overhead.
#   MAX_DIRECT_MEMORY [30g]  -XX:MaxDirectMemorySize: fp32 weights sit in JVM direct buffers (~27 GiB for 7B)
#   DRIVER_MEMORY [4g]
#   EXECUTOR_DJL_CACHE_DIR [/tmp/eas-djl]  local disk on each node; ~430 MB of libtorch is extracted there once
#                            (where several users share nodes, give each user their own directory)
#   S3A_PACKAGES [org.apache.hadoop:hadoop-aws:3.4.1]  added with --packages when a path is s3a://; 'none' to skip
#   S3_ENDPOINT, S3_PATH_STYLE [unset]  spark.hadoop.fs.s3a.endpoint / .path.style.access when set
#   PROPERTIES_FILE [unset]  e.g. conf/spark-defaults.example.conf, passed with --properties-file
#   DRY_RUN [0]              1: print the spark-submit command instead of running it
#
# The container YARN asks for is heap + overhead = 44 GiB with the defaults: yarn.scheduler.maximum-allocation-mb
# and each NodeManager's memory must allow it. See deploy/README.md, "Memory sizing".
set -euo pipefail
# shellcheck source=deploy/lib/submit-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/submit-common.sh"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPARK_HOME="${SPARK_HOME:-/opt/spark}"
MASTER="${MASTER:-yarn}"
DEPLOY_MODE="${DEPLOY_MODE:-cluster}"
JAR="${JAR:-$ROOT/jobs/target/eas-jobs-spark.jar}"
MODEL="${MODEL:-hdfs:///eas/models/lavin-eas-7b}"
INPUT="${INPUT:-hdfs:///eas/questions}"
OUTPUT="${OUTPUT:-hdfs:///eas/answers}"
DEVICE="${DEVICE:-cpu}"
NUM_EXECUTORS="${NUM_EXECUTORS:-2}"
EXECUTOR_CORES="${EXECUTOR_CORES:-16}"
TASK_CPUS="${TASK_CPUS:-$EXECUTOR_CORES}"
TORCH_THREADS="${TORCH_THREADS:-$TASK_CPUS}"
EXECUTOR_MEMORY="${EXECUTOR_MEMORY:-8g}"
EXECUTOR_MEMORY_OVERHEAD="${EXECUTOR_MEMORY_OVERHEAD:-36g}"
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
    echo "submit-yarn.sh: $SPARK_HOME/bin/spark-submit not found: set SPARK_HOME to a Spark 4.0 (Scala 2.13) install" >&2
    exit 1
  fi
  if [[ -z "${HADOOP_CONF_DIR:-}${YARN_CONF_DIR:-}" ]]; then
    echo "submit-yarn.sh: neither HADOOP_CONF_DIR nor YARN_CONF_DIR is set: point one at the cluster's Hadoop configuration" >&2
    exit 1
  fi
  if [[ ! -f "$JAR" ]]; then
    echo "submit-yarn.sh: $JAR not found: build it with ./mvnw -DskipTests package" >&2
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
  --num-executors "$NUM_EXECUTORS"
  --executor-cores "$EXECUTOR_CORES"
  --executor-memory "$EXECUTOR_MEMORY"
  # libtorch allocates outside the JVM heap: YARN must count it, or it kills the container
  --conf "spark.executor.memoryOverhead=$EXECUTOR_MEMORY_OVERHEAD"
  --conf "spark.task.cpus=$TASK_CPUS"
  # offline: libtorch comes from the jar, never from the network; num_threads: one libtorch pool per task's cores;
  # MaxDirectMemorySize: room for the weights in direct buffers (the default cap is the heap size)
  --conf "spark.executor.extraJavaOptions=-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=$TORCH_THREADS -XX:MaxDirectMemorySize=$MAX_DIRECT_MEMORY"
  --conf "spark.executorEnv.DJL_CACHE_DIR=$EXECUTOR_DJL_CACHE_DIR"
  # in cluster mode the driver runs in the application master's container and also loads DJL natives
  --conf "spark.yarn.appMasterEnv.DJL_CACHE_DIR=$EXECUTOR_DJL_CACHE_DIR"
  # a speculative copy of a slow task would redo minutes of generation on another executor, which may first
  # have to load its own model; answers are deterministic, so nothing is gained
  --conf spark.speculation=false
)
if [[ -n "${QUEUE:-}" ]]; then
  cmd+=(--queue "$QUEUE")
fi
if [[ -n "${PROPERTIES_FILE:-}" ]]; then
  cmd+=(--properties-file "$PROPERTIES_FILE")
fi
eas_add_s3a_args
# in client mode the driver is this machine's JVM and loads DJL natives too
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.cache/eas-djl}"
eas_submit_infer "$JAR" "$@"
