#!/usr/bin/env bash
# Nightly labelling of a growing question set: `eas infer --resume` reads the ids already in OUTPUT, answers only
# the input rows whose id is missing there, and appends their answers. Rows answered on earlier nights are neither
# recomputed nor rewritten, so a night's cost follows the rows added since the last run, and a failed append is
# finished by the next night, whatever a killed run left: each run writes into its own OUTPUT/_staging/<run> folder
# and moves finished files in one by one, and --resume first removes what a killed run left (deploy/README.md). On
# the first night OUTPUT does not exist yet and every row is answered. Exit 3: the output was written but no row was
# ok. Called by deploy/schedule/nightly-label.cron; arguments go to `eas infer`.
#
# cron starts jobs with an almost empty environment, so settings come from EAS_ENV_FILE
# [/etc/eas/nightly-label.env] when it exists (KEY=value lines, read by bash), then from defaults:
#   SPARK_HOME [/opt/spark]  MASTER [yarn]  DEPLOY_MODE [client]  JAR [/opt/eas/eas-jobs-spark.jar]
#   MODEL [hdfs:///eas/models/lavin-eas-7b]  INPUT [hdfs:///eas/questions]  OUTPUT [hdfs:///eas/answers]
#   NUM_EXECUTORS [2]  EXECUTOR_CORES [16]  TASK_CPUS [=EXECUTOR_CORES]  EXECUTOR_MEMORY [8g]
#   EXECUTOR_MEMORY_OVERHEAD [36g]  MAX_DIRECT_MEMORY [30g]  DRIVER_MEMORY [4g]
#   EXECUTOR_DJL_CACHE_DIR [/tmp/eas-djl]  PROPERTIES_FILE [unset]
#   S3A_PACKAGES [org.apache.hadoop:hadoop-aws:3.4.1]  (added when a path is s3a://; 'none' to skip)
#   DEVICE [cpu]  LOCK_FILE [/tmp/eas-nightly-label.lock]  DRY_RUN [0]
# With MASTER=yarn, HADOOP_CONF_DIR must be set (in the env file). DEPLOY_MODE=client keeps the driver on this
# machine, so the script's exit status is the job's and cron's mail or log shows a failure.
#
# Two runs must not write OUTPUT at once: a run that finds the lock held exits 1 without submitting. The lock is
# a local file, so schedule the job from one machine only.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit 0
fi

EAS_ENV_FILE="${EAS_ENV_FILE:-/etc/eas/nightly-label.env}"
if [[ -f "$EAS_ENV_FILE" ]]; then
  set -a
  # shellcheck source=/dev/null
  source "$EAS_ENV_FILE"
  set +a
fi

SPARK_HOME="${SPARK_HOME:-/opt/spark}"
MASTER="${MASTER:-yarn}"
DEPLOY_MODE="${DEPLOY_MODE:-client}"
JAR="${JAR:-/opt/eas/eas-jobs-spark.jar}"
MODEL="${MODEL:-hdfs:///eas/models/lavin-eas-7b}"
INPUT="${INPUT:-hdfs:///eas/questions}"
OUTPUT="${OUTPUT:-hdfs:///eas/answers}"
NUM_EXECUTORS="${NUM_EXECUTORS:-2}"
EXECUTOR_CORES="${EXECUTOR_CORES:-16}"
TASK_CPUS="${TASK_CPUS:-$EXECUTOR_CORES}"
EXECUTOR_MEMORY="${EXECUTOR_MEMORY:-8g}"
EXECUTOR_MEMORY_OVERHEAD="${EXECUTOR_MEMORY_OVERHEAD:-36g}"
MAX_DIRECT_MEMORY="${MAX_DIRECT_MEMORY:-30g}"
DRIVER_MEMORY="${DRIVER_MEMORY:-4g}"
EXECUTOR_DJL_CACHE_DIR="${EXECUTOR_DJL_CACHE_DIR:-/tmp/eas-djl}"
S3A_PACKAGES="${S3A_PACKAGES:-org.apache.hadoop:hadoop-aws:3.4.1}"
LOCK_FILE="${LOCK_FILE:-/tmp/eas-nightly-label.lock}"
DEVICE="${DEVICE:-cpu}"
DRY_RUN="${DRY_RUN:-0}"

log() {
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) nightly-label: $*" >&2
}

if [[ "$DRY_RUN" != 1 ]]; then
  if [[ ! -x "$SPARK_HOME/bin/spark-submit" ]]; then
    log "$SPARK_HOME/bin/spark-submit not found: set SPARK_HOME in $EAS_ENV_FILE"
    exit 1
  fi
  if [[ ! -f "$JAR" ]]; then
    log "$JAR not found: copy jobs/target/eas-jobs-spark.jar there or set JAR in $EAS_ENV_FILE"
    exit 1
  fi
  exec 9>"$LOCK_FILE"
  if ! flock -n 9; then
    log "another run holds $LOCK_FILE; not starting a second one on $OUTPUT"
    exit 1
  fi
fi

cmd=(
  "$SPARK_HOME/bin/spark-submit"
  --master "$MASTER"
  --deploy-mode "$DEPLOY_MODE"
  --name eas-nightly-label
  --class io.easspark.jobs.EasCli
  --driver-memory "$DRIVER_MEMORY"
  --num-executors "$NUM_EXECUTORS"
  --executor-cores "$EXECUTOR_CORES"
  --executor-memory "$EXECUTOR_MEMORY"
  --conf "spark.executor.memoryOverhead=$EXECUTOR_MEMORY_OVERHEAD"
  --conf "spark.task.cpus=$TASK_CPUS"
  --conf "spark.executor.extraJavaOptions=-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=$TASK_CPUS -XX:MaxDirectMemorySize=$MAX_DIRECT_MEMORY"
  --conf "spark.executorEnv.DJL_CACHE_DIR=$EXECUTOR_DJL_CACHE_DIR"
  --conf spark.speculation=false
)
if [[ -n "${PROPERTIES_FILE:-}" ]]; then
  cmd+=(--properties-file "$PROPERTIES_FILE")
fi
case "$MODEL $INPUT $OUTPUT" in
  *s3a://*)
    if [[ "$S3A_PACKAGES" != none ]]; then
      cmd+=(--packages "$S3A_PACKAGES")
    fi
    ;;
esac
cmd+=(
  "$JAR"
  infer --input "$INPUT" --model "$MODEL" --output "$OUTPUT" --device "$DEVICE" --preview 0 --resume
  "$@"
)

if [[ "$DRY_RUN" == 1 ]]; then
  printf '%q ' "${cmd[@]}"
  echo
  exit 0
fi

export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$EXECUTOR_DJL_CACHE_DIR}"
log "start: $INPUT -> $OUTPUT (model $MODEL, master $MASTER)"
status=0
"${cmd[@]}" || status=$?
log "end: exit status $status"
exit "$status"
