#!/usr/bin/env bash
# Trains the SentencePiece tokenizer of the tuned demo (jobs/src/main/resources/io/easspark/jobs/tune/scienceqa-tokenizer.model)
# on the generated ScienceQA-layout benchmark's train split: the QCM prompt lines, the image prefixes and the targets.
# Needs the built jobs jar, python3 and spm_train (Debian: apt-get install sentencepiece). Deterministic: one thread.
#   tools/tokenizer/train-scienceqa-tokenizer.sh OUT_PREFIX   -> OUT_PREFIX.model, OUT_PREFIX.vocab
set -euo pipefail
out=${1:?usage: $0 OUT_PREFIX}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
java -jar "$root/jobs/target/eas-jobs.jar" gen-scienceqa --output "$work/sqa" >/dev/null
python3 - "$work/sqa" "$work/corpus.txt" <<'PY'
import json, sys
folder, corpus = sys.argv[1], sys.argv[2]
problems = json.load(open(folder + '/problems.json'))
splits = json.load(open(folder + '/pid_splits.json'))
letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
with open(corpus, 'w') as f:
    for pid in splits['train']:
        p = problems[pid]
        context = p['hint'].strip() or 'N/A'
        options = ' '.join('(%s) %s' % (letters[i], c) for i, c in enumerate(p['choices']))
        prompt = 'Question: %s\nContext: %s\nOptions: %s\nResponse:' % (p['question'], context, options)
        for line in ['Image:', 'Image: N/A'] + prompt.split('\n') + ['The answer is %s.' % letters[p['answer']]]:
            f.write(line + '\n')
PY
# LLaMA-like settings: BPE with byte fallback (newlines become <0x0A>), no normalisation, BOS 1, EOS 2, no pad.
spm_train --input="$work/corpus.txt" --model_prefix="$out" --vocab_size=1000 --model_type=bpe --byte_fallback=true \
  --character_coverage=1.0 --num_threads=1 --split_digits=false --normalization_rule_name=identity \
  --remove_extra_whitespaces=false --bos_id=1 --eos_id=2 --unk_id=0 --pad_id=-1 >"$work/spm.log" 2>&1
# the .model embeds the paths spm_train was given (its trainer spec), so compare the .vocab files: same pieces, same scores
echo "wrote $out.model"
