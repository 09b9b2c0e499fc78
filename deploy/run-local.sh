#!/usr/bin/env bash
# Runs `eas infer` on Spark local[*] in one JVM, from the thin jar the build writes
# (jobs/target/eas-jobs.jar, with its dependencies in jobs/target/lib/). Every argument goes to `eas infer`.
#
#   deploy/run-local.sh --input demo/data/questions.jsonl --image-root demo/data --model demo/model --output demo/answers
#
# Environment (all optional):
#   EAS_DRIVER_MEMORY      JVM heap, -Xmx (default 8g). Model weights are not on the heap: see EAS_MAX_DIRECT_MEMORY.
#   EAS_MAX_DIRECT_MEMORY  -XX:MaxDirectMemorySize (default 32g). fp32 weights loaded through DJL live in JVM direct
#                          buffers, which the JVM caps at the heap size unless told otherwise; a LaVIN-EAS-7B model
#                          needs up to ~27 GiB there. It is a cap, not a reservation: small models use what they need.
#   EAS_TORCH_THREADS      libtorch intra-op threads for each running task (-Dai.djl.pytorch.num_threads); default 1,
#                          because local[*] already runs one task per core. With --master local[N] use cores / N.
#                          libtorch's own default (all cores in every task) oversubscribes the CPU: the demo took
#                          251 s that way on 2 busy cores against 23 s with 1 thread per task.
#   DJL_CACHE_DIR          where DJL extracts the bundled libtorch (~430 MB, first run only); default ~/.cache/eas-djl
#   SPARK_LOCAL_IP         address Spark binds to; default 127.0.0.1
#   EAS_JAVA_OPTS          more JVM options, split on spaces
#   JAVA_HOME              a Java 17 (Spark 4.0 fails on newer JDKs); else `java` on PATH
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="${EAS_JOBS_JAR:-$ROOT/jobs/target/eas-jobs.jar}"

usage() {
  cat <<EOF
usage: deploy/run-local.sh INFER-OPTIONS...

Runs 'eas infer' on Spark local[*] from $JAR; all arguments go to 'eas infer'.
  deploy/run-local.sh --input questions.jsonl --image-root images/ --model /models/lavin-eas-7b --output answers/
  deploy/run-local.sh --help           this text, then the job's own options (eas infer --help)

Environment: EAS_DRIVER_MEMORY (heap, default 8g), EAS_MAX_DIRECT_MEMORY (default 32g), EAS_TORCH_THREADS (default 1),
DJL_CACHE_DIR (default ~/.cache/eas-djl), SPARK_LOCAL_IP (default 127.0.0.1), EAS_JAVA_OPTS, JAVA_HOME.
See the comments at the top of this script and deploy/README.md.
EOF
}

if [[ $# -eq 0 ]]; then
  usage >&2
  exit 2
fi
help=0
if [[ "$1" == "-h" || "$1" == "--help" ]]; then
  usage
  help=1
  echo
fi

if [[ ! -f "$JAR" || ! -d "$(dirname "$JAR")/lib" ]]; then
  [[ $help -eq 1 ]] && exit 0
  echo "run-local.sh: $JAR (and lib/ beside it) not found: build it with ./mvnw -DskipTests package" >&2
  exit 1
fi

JAVA="java"
if [[ -n "${JAVA_HOME:-}" ]]; then
  JAVA="$JAVA_HOME/bin/java"
fi
if ! command -v "$JAVA" >/dev/null 2>&1; then
  echo "run-local.sh: no java found (JAVA_HOME=${JAVA_HOME:-unset}): install Java 17 or set JAVA_HOME" >&2
  exit 1
fi
java_version="$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')"
if [[ "$java_version" != "17" ]]; then
  echo "run-local.sh: Spark 4.0 needs Java 17 but $JAVA is Java ${java_version:-unknown}: set JAVA_HOME to a Java 17" >&2
  exit 1
fi

# Spark binds to the hostname's address by default; a single-machine run needs only loopback.
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# libtorch comes out of the jar into this folder once; later runs reuse it.
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.cache/eas-djl}"
mkdir -p "$DJL_CACHE_DIR"

jvm=(
  "-Xmx${EAS_DRIVER_MEMORY:-8g}"
  "-XX:MaxDirectMemorySize=${EAS_MAX_DIRECT_MEMORY:-32g}"
  # never download anything: libtorch and the tokenizer natives are in the jar
  "-Dai.djl.offline=true"
  # local[*] runs one task per core; each task's libtorch ops get that one core
  "-Dai.djl.pytorch.num_threads=${EAS_TORCH_THREADS:-1}"
)
if [[ -n "${EAS_JAVA_OPTS:-}" ]]; then
  read -r -a extra <<<"$EAS_JAVA_OPTS"
  jvm+=("${extra[@]}")
fi

if [[ $help -eq 1 ]]; then
  exec "$JAVA" "${jvm[@]}" -jar "$JAR" infer --help
fi
exec "$JAVA" "${jvm[@]}" -jar "$JAR" infer "$@"
