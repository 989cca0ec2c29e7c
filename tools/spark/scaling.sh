#!/usr/bin/env bash
# The Spark job against `lesart analyze` on the same articles, one machine: words/s of each,
# and the cost of a partition (one `lesart stream` loading the models) and of a document.
#
#   tools/spark/scaling.sh [ARTICLES] [NER]      # defaults: 120 accurate
#
# Needs spark-submit (pip install pyspark==3.5.3; Java 17) and ../shared/data/gnad10k. Prints a
# Markdown table; docs/cluster.md holds its output.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-120}
ner=${2:-accurate}
lesart=$PWD/target/release/lesart
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$n" "$work/gnad.jsonl" <<'PY'
import csv, json, sys
n, out = int(sys.argv[1]), sys.argv[2]
with open("../shared/data/gnad10k/articles.csv", encoding="utf-8", newline="") as f:
    rows = [r for r in csv.reader(f, delimiter=";", quotechar="'") if len(r) >= 2][:n]
with open(out, "w", encoding="utf-8") as f:
    for k, r in enumerate(rows):
        f.write(json.dumps({"id": f"gnad-{k}", "text": r[1], "ressort": r[0]}, ensure_ascii=False) + "\n")
PY
words() { grep -o '[0-9]* words in' "$1" | head -1 | cut -d' ' -f1; }
seconds() { /usr/bin/time -f %e -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }; cat "$work/t"; }
echo "| run | cores | seconds | words/s |"
echo "|---|---:|---:|---:|"
(cd "$work" && "$lesart" analyze gnad.jsonl --out a --ner "$ner" -j 2 2>"$work/analyze.log")
total=$(words "$work/analyze.log")
row() { awk -v r="$1" -v c="$2" -v t="$3" -v w="$total" 'BEGIN { printf "| %s | %s | %.1f | %.0f |\n", r, c, t, w / t }'; }
for cores in 1 2; do
    t=$(cd "$work" && seconds "$lesart" analyze gnad.jsonl --out "a$cores" --ner "$ner" -j "$cores")
    row "lesart analyze -j $cores" "$cores" "$t"
done
t=$(cd "$work" && seconds sh -c "\"$lesart\" stream --ner $ner -j 2 --quiet < gnad.jsonl > s.jsonl")
row "lesart stream -j 2" 2 "$t"
for cores in 1 2; do
    t=$(cd "$work" && SPARK_LOCAL_IP=127.0.0.1 seconds spark-submit --master "local[$cores]" --conf spark.ui.enabled=false \
        "$OLDPWD/tools/spark/lesart-spark.py" --input gnad.jsonl --output "sp$cores" --partitions "$cores" --ner "$ner" \
        --lesart "$lesart" --models "$OLDPWD/models")
    row "Spark job, local[$cores], $cores partitions" "$cores" "$t"
    cmp -s "$work/a2/report.json" "$work/sp$cores/report.json" || echo "(the report of local[$cores] differs from analyze's)"
done
t=$(cd "$work" && seconds sh -c "\"$lesart\" stream --ner $ner --quiet < /dev/null")
echo
echo "Models loaded by one lesart stream (the cost of a partition): $t s; $total words in $n articles."
