#!/usr/bin/env bash
# Puts hadoop-aws 3.4.1 and its AWS SDK v2 bundle (2.24.6) into deploy/jars/s3a/ for an offline `--jars`, instead
# of `spark-submit --packages`, which resolves through Ivy and needs the internet at every submit. Run it once on a
# machine with the jars (a Maven repository that has them: this project's build puts them in ~/.m2) and ship the
# folder with the job jar; the submit scripts pick the folder up by themselves.
#
#   deploy/fetch-s3a-jars.sh            copy from ~/.m2 (or $MAVEN_REPO), else download once with ./mvnw
#   S3A_JARS_DIR=/opt/eas/s3a deploy/fetch-s3a-jars.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${S3A_JARS_DIR:-$ROOT/deploy/jars/s3a}"
REPO="${MAVEN_REPO:-$HOME/.m2/repository}"
JARS=(
  "org/apache/hadoop/hadoop-aws/3.4.1/hadoop-aws-3.4.1.jar"
  "software/amazon/awssdk/bundle/2.24.6/bundle-2.24.6.jar"
)
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit 0
fi
mkdir -p "$DEST"
for jar in "${JARS[@]}"; do
  if [[ ! -f "$REPO/$jar" ]]; then
    echo "fetch-s3a-jars: $REPO/$jar missing; downloading it once with the Maven wrapper" >&2
    coords="$(dirname "$(dirname "$jar")" | tr / .)"
    artifact="$(basename "$(dirname "$(dirname "$jar")")")"
    group="${coords%."$artifact"}"
    version="$(basename "$(dirname "$jar")")"
    "$ROOT/mvnw" -q -B dependency:get -Dartifact="$group:$artifact:$version" -Dtransitive=false -Dmaven.repo.local="$REPO"
  fi
  cp "$REPO/$jar" "$DEST/"
done
echo "fetch-s3a-jars: $(ls "$DEST" | tr '\n' ' ')in $DEST"
