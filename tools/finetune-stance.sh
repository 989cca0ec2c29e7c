#!/usr/bin/env bash
# Fine-tunes the encoder layers through the stance head (NER kept by GermEval replay) and scores
# every epoch as lesart would ship it: the layers exported into a copy of models/, NER F1 on
# GermEval dev, and the stance head refitted on the new vectors (the shipped recipe), calibrated
# on dev and scored on dev and held-out. The held-out pairs are only scored.
#
#   tools/finetune-stance.sh [WORK_DIR [LESART]]
#
# With QUOTES=1 the encoder also learns to tag quotation roles (finetune-stance.py --quotes, one
# epoch), and each epoch's table row is followed by the quotation model retrained on the new
# vectors (`lesart train quotes`) and scored one to one on wikinews-quotes dev and held-out.
#
# Needs: pip install numpy tokenizers gguf torch. About 70 minutes on two CPU cores (25 with
# TRAIN="train").
#
# The training pairs are those of the shipped head: tests/data/stance-train.jsonl (article
# sentences) and tests/data/stance-train-sentences.jsonl (single news sentences), with the
# candidates labelled no target (tests/data/stance-nontargets.jsonl), which only the head's
# actor part reads; TRAIN="train" takes the first alone, TRAIN="... train-round5" adds the
# fifth round's pairs. MODELS= names the models folder to start from (default models/: what
# lesart ships), EPOCHS= the number of epochs (default 3).
set -euo pipefail
work="${1:-target/finetune-stance}"
lesart="${2:-target/release/lesart}"
base="${MODELS:-models}"
read -r -a train <<< "${TRAIN:-train train-sentences nontargets}"
mkdir -p "$work/dumps"
for split in "${train[@]}" dev heldout; do
    "$lesart" train stance --gold "tests/data/stance-$split.jsonl" --dump "$work/dumps/$split.jsonl" --models "$base"
done
# The frozen encoder, for comparison: the same recipe on the shipped vectors.
score() {
    local name="$1" dumps="$2" models="$3" from=() split
    for split in "${train[@]}"; do
        from+=(--from "$dumps/$split.jsonl")
    done
    "$lesart" train stance "${from[@]}" --calibrate "$dumps/dev.jsonl" --score "$dumps/dev.jsonl" \
        --score "$dumps/heldout.jsonl" --models "$models" --out "$dumps/head.bin" |
        python3 -c '
import json, sys
r = json.load(sys.stdin)
dev, held = (s for _, s in r["scores"])
print("| %s | %s | %.3f | %.3f | %.3f / %.3f | %.3f / %.3f |" % (sys.argv[1], sys.argv[2], dev["macro_f1"], held["macro_f1"],
    dev["favor_precision"], held["favor_precision"], dev["holder_accuracy"], held["holder_accuracy"]))' "$name" "$4"
}
ner_f1() {
    "$lesart" eval ner --gold ../shared/data/germeval2014/NER-de-dev.tsv --ner accurate --models "$1" | awk '$1 == "micro" { print $7 }'
}
quotes_args=()
if [ "${QUOTES:-0}" = 1 ]; then
    quotes_args=(--epochs 1 --quotes ../shared/data/wikinews-quotes/train.jsonl --quotes-dev ../shared/data/wikinews-quotes/dev.jsonl
        --exclude-gold tests/data/stance-heldout.jsonl)
fi
train_dumps=() train_gold=()
for split in "${train[@]}"; do
    train_dumps+=("$work/dumps/$split.jsonl")
    train_gold+=("tests/data/stance-$split.jsonl")
done
python3 tools/finetune-stance.py train --train "${train_dumps[@]}" --train-gold "${train_gold[@]}" --dev "$work/dumps/dev.jsonl" --out "$work" \
    --models "$base" --epochs "${EPOCHS:-3}" "${quotes_args[@]}" >&2
quotes() {
    "$lesart" train quotes --models "$1" >&2
    for split in "dev.jsonl all" "train.jsonl heldout"; do
        set -- "$1" $split
        "$lesart" eval quotes --quotes model --models "$1" --gold "../shared/data/wikinews-quotes/$2" --split "$3" --json |
            python3 -c '
import json, sys
r = json.load(sys.stdin)
o = r["one_to_one"]
print("  quotation model, %s: message %.3f, source %.3f, cue %.3f, SpkAtt joint %.3f" % (sys.argv[1],
    o["message"]["overlap"]["f1"], o["source"]["overlap"]["f1"], o["cue"]["overlap"]["f1"], r["spkatt"]["joint"]["f1"]))' "$2 $3"
    done
}
echo "| encoder | NER dev F1 | stance dev | held-out | favor P dev / held-out | holder dev / held-out |"
echo "|---|---:|---:|---:|---:|---:|"
score "start (frozen)" "$work/dumps" "$base" "$(ner_f1 "$base")"
for npz in "$work"/tuned-epoch*.npz; do
    name="$(basename "$npz" .npz)"
    dir="$work/$name"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp -r "$base" "$dir/models"
    python3 tools/finetune-stance.py export --tuned "$npz" --models "$dir/models" >&2
    for split in "${train[@]}" dev heldout; do
        "$lesart" train stance --gold "tests/data/stance-$split.jsonl" --dump "$dir/$split.jsonl" --models "$dir/models" >&2
    done
    score "$name" "$dir" "$dir/models" "$(ner_f1 "$dir/models")"
    if [ "${QUOTES:-0}" = 1 ]; then
        quotes "$dir/models"
    fi
done
