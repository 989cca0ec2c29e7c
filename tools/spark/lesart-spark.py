#!/usr/bin/env python3
"""lesart on a Spark cluster: annotations for every document, then the corpus report.

    spark-submit tools/spark/lesart-spark.py --input DOCS.jsonl|DIR --output OUT \
        [--lesart target/release/lesart] [--models models] [--partitions N] [--ner accurate|fast] \
        [--threads N] [--compress]

What it does:
1. ships the `lesart` binary (SparkContext.addFile) and `models/` (packed into a tar file,
   SparkContext.addArchive) to the executors; or takes `--models-archive URI`, a tar of
   models/ already on the cluster's file system;
2. reads each input file of JSON Lines documents (`{"id", "text", ...}`) as lines, numbers
   them across the whole file (`zipWithIndex`) and pipes each partition through
   `lesart stream --numbered --name FILE` on an executor, as RDD.pipe does, with the binary's
   path found on the executor (SparkFiles); each partition starts one `lesart stream`, which
   loads the models once and answers every line in order;
3. checks that every partition gave one line per input line (the task fails otherwise) and
   writes the annotation part files to OUT/annotations/ (gzip with --compress);
4. runs `lesart report OUT/annotations --out OUT` on the driver (a local or shared output
   path; for HDFS it prints the command to run where the parts are).

The ids and error records are those `lesart analyze FILE` gives, so the report equals
`analyze`'s over the same files (the test suite checks it with spark-submit --master local[2]).
"""

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading

from pyspark import SparkConf, SparkContext, SparkFiles

MODELS_ARCHIVE = "lesart-models.tar"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="a JSON Lines file of documents, or a folder of them (*.jsonl)")
    p.add_argument("--output", required=True, help="folder for annotations/ and report.json, report.md, report.html")
    p.add_argument("--lesart", default=shutil.which("lesart") or "target/release/lesart", help="the lesart binary to ship")
    p.add_argument("--models", default="models", help="lesart's models folder to ship")
    p.add_argument("--models-archive", help="a tar of the models folder already on the cluster (hdfs://…); replaces --models")
    p.add_argument("--partitions", type=int, default=0, help="partitions per input file (default: Spark's)")
    p.add_argument("--ner", choices=["accurate", "fast"], default="accurate")
    p.add_argument("--threads", type=int, default=1, help="worker threads of each lesart stream (match spark.task.cpus)")
    p.add_argument("--compress", action="store_true", help="gzip the annotation part files")
    p.add_argument("--no-report", action="store_true", help="write the annotations only")
    return p.parse_args(argv)


def input_files(sc, path):
    """The JSON Lines files of `path` (a file, or a folder's *.jsonl), through Hadoop's file
    system API so that hdfs:// and s3a:// paths work as local ones do; in name order."""
    jvm = sc._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    fs = hpath.getFileSystem(sc._jsc.hadoopConfiguration())
    if not fs.getFileStatus(hpath).isDirectory():
        return [(path, hpath.getName())]
    found = []
    for status in fs.listStatus(hpath):
        name = status.getPath().getName()
        if status.isFile() and name.endswith(".jsonl") and not name.startswith((".", "_")):
            found.append((status.getPath().toString(), name))
    return sorted(found, key=lambda f: f[1])


def pack_models(models, into):
    """models/ as an uncompressed tar (its largest files are packed floats already)."""
    archive = os.path.join(into, MODELS_ARCHIVE)
    with tarfile.open(archive, "w") as tar:
        for entry in sorted(os.listdir(models)):
            tar.add(os.path.join(models, entry), arcname=entry)
    return archive


def stream_partition(name, ner, threads, archive_name):
    """The function each partition runs: pipes its numbered lines through `lesart stream` on
    the executor and yields the answers, one per line, in order."""

    def run(lines):
        binary = SparkFiles.get("lesart")
        os.chmod(binary, 0o755)
        models = SparkFiles.get(archive_name)
        command = [binary, "stream", "--numbered", "--name", name, "--quiet", "--ner", ner, "-j", str(threads), "--models", models]
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        sent = [0]

        def feed():
            try:
                for line in lines:
                    proc.stdin.write(line.encode("utf-8") + b"\n")
                    sent[0] += 1
            finally:
                proc.stdin.close()

        errors = []
        feeder = threading.Thread(target=feed)
        drain = threading.Thread(target=lambda: errors.append(proc.stderr.read()))
        feeder.start()
        drain.start()
        answered = 0
        for out in proc.stdout:
            answered += 1
            yield out.rstrip(b"\n").decode("utf-8")
        feeder.join()
        drain.join()
        code = proc.wait()
        if code != 0 or answered != sent[0]:
            message = b"".join(errors).decode("utf-8", "replace").strip()
            raise RuntimeError(f"lesart stream on {name}: exit {code}, {sent[0]} lines in, {answered} out: {message}")

    return run


def main(argv):
    args = parse_args(argv)
    sc = SparkContext(conf=SparkConf().setAppName("lesart"))
    sc.setLogLevel("WARN")
    scratch = tempfile.mkdtemp(prefix="lesart-spark-")
    try:
        sc.addFile(os.path.abspath(args.lesart))
        if args.models_archive:
            sc.addArchive(args.models_archive)
            archive_name = os.path.basename(args.models_archive)
        else:
            sc.addArchive(pack_models(args.models, scratch))
            archive_name = MODELS_ARCHIVE
        parts = []
        for path, name in input_files(sc, args.input):
            lines = sc.textFile(path, minPartitions=args.partitions) if args.partitions else sc.textFile(path)
            numbered = lines.zipWithIndex().map(lambda p: f"{p[1] + 1}\t{p[0]}")
            parts.append(numbered.mapPartitions(stream_partition(name, args.ner, args.threads, archive_name)))
        if not parts:
            sys.exit(f"lesart-spark: no *.jsonl files in {args.input}")
        annotations = parts[0] if len(parts) == 1 else sc.union(parts)
        target = args.output.rstrip("/") + "/annotations"
        codec = "org.apache.hadoop.io.compress.GzipCodec" if args.compress else None
        annotations.saveAsTextFile(target, compressionCodecClass=codec)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        sc.stop()
    command = [os.path.abspath(args.lesart), "report", target, "--out", args.output, "--models", args.models]
    if args.no_report:
        return
    if "://" in args.output and not args.output.startswith("file://"):
        print("lesart-spark: annotations written; build the report where they are:", shlex.join(command))
        return
    subprocess.run([c.removeprefix("file://") for c in command], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
