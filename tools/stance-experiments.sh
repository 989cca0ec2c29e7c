#!/usr/bin/env bash
# The stance head's comparisons in docs/measurements.md: heads fitted to dumped inputs (so that
# the articles are analysed once), each calibrated on dev and scored on dev, held-out and
# NewsMTSC devtest_mt exactly as `lesart eval stance` scores them. Held-out is only scored.
#
#   tools/stance-experiments.sh [DUMPS_DIR [LESART]]
#
# First the dumps with the accurate NER model (the three German ones took 51 s on two cores with VNNI):
#   lesart train stance --gold tests/data/stance-train.jsonl --dump DUMPS/train.jsonl
#   lesart train stance --gold tests/data/stance-train-sentences.jsonl --dump DUMPS/sentences.jsonl
#   lesart train stance --gold tests/data/stance-train-round5.jsonl --dump DUMPS/round5.jsonl
#   lesart train stance --gold /dev/null --newsmtsc ../shared/data/newsmtsc/train.jsonl --dump DUMPS/newsmtsc-train.jsonl
#   lesart train stance --gold /dev/null --newsmtsc ../shared/data/newsmtsc/devtest_mt.jsonl --dump DUMPS/newsmtsc-devtest.jsonl
#   lesart train stance --gold tests/data/stance-dev.jsonl --dump DUMPS/dev.jsonl
#   lesart train stance --gold tests/data/stance-heldout.jsonl --dump DUMPS/heldout.jsonl
set -euo pipefail
dumps="${1:-target/stance-dumps}"
lesart="${2:-target/release/lesart}"
row() {
    local name="$1"
    shift
    "$lesart" train stance --calibrate "$dumps/dev.jsonl" --score "$dumps/dev.jsonl" --score "$dumps/heldout.jsonl" \
        --score "$dumps/newsmtsc-devtest.jsonl" "$@" |
        python3 -c '
import json, sys
r = json.load(sys.stdin)
t = r["train"]
dev, held, nm = (s for _, s in r["scores"])
f1 = lambda s: "%.3f" % s["macro_f1"]
temperature, threshold = t["calibration"]
print("| %s | %s | %s | %s | %s | %.3f / %.3f | %.3f / %.3f | %.2f, %.3f |" % (
    sys.argv[1], format(t["trained_on"], ","), f1(dev), f1(held), f1(nm),
    dev["favor_precision"], held["favor_precision"], dev["ece"], held["ece"], temperature, threshold))
' "$name"
}
echo "| head | pairs | dev | held-out | NewsMTSC devtest_mt | favor P dev / held-out | ECE dev / held-out | temperature, threshold |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
german=(--from "$dumps/train.jsonl" --from "$dumps/sentences.jsonl")
row "German pairs and NewsMTSC, rules' signals" "${german[@]}" --from "$dumps/newsmtsc-train.jsonl"
row "German pairs, rules' signals" "${german[@]}"
row "German pairs and NewsMTSC, no rules" "${german[@]}" --from "$dumps/newsmtsc-train.jsonl" --without-rules
row "German pairs, no rules" "${german[@]}" --without-rules
row "article pairs alone, rules' signals" --from "$dumps/train.jsonl"
row "news-sentence pairs alone, rules' signals" --from "$dumps/sentences.jsonl"
row "German pairs and the fifth round's, rules' signals" "${german[@]}" --from "$dumps/round5.jsonl"
row "NewsMTSC alone, rules' signals" --from "$dumps/newsmtsc-train.jsonl" --limit 0
for n in 1000 2000 4000 8000 12000 15768; do
    row "$n German pairs drawn at random, rules' signals" "${german[@]}" --limit "$n"
done
