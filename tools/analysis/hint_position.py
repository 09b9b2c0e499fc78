#!/usr/bin/env python3
"""Read-facts accuracy by where the asked person's sentence stands in the hint (docs/TUNING.md, runs L8/L9).

A model that matches the asked name is right equally often wherever the sentence stands; one that copies a value
by its place (e.g. the last sentence's) is not. Also counts which sentence the chosen option's value comes from.

usage: hint_position.py PROBLEMS_JSON RESULTS_JSON_DIR [RESULTS_JSON_DIR ...]
(results: evaluate's results.parquet written as JSON lines by ParquetToJson.java; rows of other skills are skipped)
"""
import collections
import glob
import json
import re
import sys


def sentences(hint):
    return [s.strip() for s in re.split(r'(?<=\.)\s+', hint.strip()) if s.strip()]


def place(index, count):
    if index == 0:
        return 'first'
    return 'last' if index == count - 1 else 'middle'


def sentence_of(value, sents):
    """Index of the one hint sentence naming value; the generator gives each person a distinct value."""
    hits = [i for i, s in enumerate(sents) if re.search(r'\b' + re.escape(value) + r'\b', s)]
    return hits[0] if len(hits) == 1 else None


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    problems = json.load(open(argv[1]))
    right = collections.defaultdict(lambda: [0, 0])
    chosen = collections.Counter()
    for folder in argv[2:]:
        files = glob.glob(folder + '/part-*.json')
        if not files:
            sys.exit(f'{folder}: no part-*.json files')
        for f in files:
            for line in open(f):
                row = json.loads(line)
                p = problems.get(row['id'])
                if p is None:
                    sys.exit(f'{folder}: id {row["id"]} is not in {argv[1]}')
                if p['skill'] != 'read-facts':
                    continue
                sents = sentences(p['hint'])
                asked = sentence_of(p['choices'][p['answer']], sents)
                if asked is None:
                    sys.exit(f'problem {row["id"]}: the answer is not named by exactly one hint sentence')
                cell = right[place(asked, len(sents))]
                cell[0] += bool(row['correct'])
                cell[1] += 1
                letter = row.get('predicted')
                k = ord(letter) - ord('A') if letter else -1
                if 0 <= k < len(p['choices']):
                    i = sentence_of(p['choices'][k], sents)
                    chosen['not in the hint' if i is None else place(i, len(sents))] += 1
                else:
                    chosen['no letter'] += 1
    for where in ('first', 'middle', 'last'):
        ok, n = right[where]
        print(f'asked sentence {where:6}: {ok}/{n} = {ok / n:.1%}' if n else f'asked sentence {where:6}: no rows')
    print('chosen value from:', dict(chosen))


if __name__ == '__main__':
    main(sys.argv)
