# shellcheck shell=bash
# Shared tail of the spark-submit scripts: sourced, not run. The caller has built the array `cmd` (spark-submit and
# its options) and set MODEL, INPUT, OUTPUT, DEVICE, S3A_PACKAGES and DRY_RUN (S3_ENDPOINT, S3_PATH_STYLE optional).

EAS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# S3A settings, only when a path is on s3a:// (extra arguments go right after --packages, e.g. an Ivy cache conf)
# shellcheck disable=SC2120 # the arguments are optional
eas_add_s3a_args() {
  case "$MODEL $INPUT $OUTPUT" in
    *s3a://*)
      # offline first: local jars (deploy/fetch-s3a-jars.sh) need no network at submit time; --packages does
      local jars="${S3A_JARS:-}"
      if [[ -z "$jars" && -d "$EAS_ROOT/deploy/jars/s3a" ]]; then
        jars="$(find "$EAS_ROOT/deploy/jars/s3a" -maxdepth 1 -name '*.jar' | sort | paste -sd, -)"
      fi
      if [[ -n "$jars" ]]; then
        cmd+=(--jars "$jars")
      elif [[ "$S3A_PACKAGES" != none ]]; then
        cmd+=(--packages "$S3A_PACKAGES" "$@")
      fi
      # bounded timeouts and retries for a dead endpoint (conf/s3a-timeouts.conf); a transient failure fails the task
      if [[ "${S3A_PROPERTIES:-}" != none ]]; then
        while read -r key value; do
          [[ -z "$key" || "$key" == \#* ]] && continue
          cmd+=(--conf "$key=$value")
        done < "${S3A_PROPERTIES:-$EAS_ROOT/conf/s3a-timeouts.conf}"
      fi
      if [[ -n "${S3_ENDPOINT:-}" ]]; then
        cmd+=(--conf "spark.hadoop.fs.s3a.endpoint=$S3_ENDPOINT")
      fi
      if [[ -n "${S3_PATH_STYLE:-}" ]]; then
        cmd+=(--conf "spark.hadoop.fs.s3a.path.style.access=$S3_PATH_STYLE")
      fi
      ;;
  esac
}

# Appends the jar and `infer` with its arguments, then prints the command (DRY_RUN=1) or replaces this shell with it
eas_submit_infer() {
  local jar="$1"
  shift
  cmd+=(
    "$jar"
    infer --input "$INPUT" --model "$MODEL" --output "$OUTPUT" --device "$DEVICE"
    "$@"
  )
  if [[ "$DRY_RUN" == 1 ]]; then
    printf '%q ' "${cmd[@]}"
    echo
    exit 0
  fi
  exec "${cmd[@]}"
}
