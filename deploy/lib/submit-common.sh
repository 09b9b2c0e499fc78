# shellcheck shell=bash
# Shared tail of the spark-submit scripts: sourced, not run. The caller has built the array `cmd` (spark-submit and
# its options) and set MODEL, INPUT, OUTPUT, DEVICE, S3A_PACKAGES and DRY_RUN (S3_ENDPOINT, S3_PATH_STYLE optional).

# S3A settings, only when a path is on s3a:// (extra arguments go right after --packages, e.g. an Ivy cache conf)
# shellcheck disable=SC2120 # the arguments are optional
eas_add_s3a_args() {
  case "$MODEL $INPUT $OUTPUT" in
    *s3a://*)
      if [[ "$S3A_PACKAGES" != none ]]; then
        cmd+=(--packages "$S3A_PACKAGES" "$@")
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
