#!/usr/bin/env python3
"""Wire-level ANN measurement on wiki-squad-minilm: load with binary COPY, build an HNSW index,
then recall@10 and QPS over psycopg (prepared statements, binary vector parameters) for an
ef_search sweep with 1 and N clients, plus the ~10 %-selective category filter.

An interim instrument until `quiver bench` (issue 4) exists; it works against quiver and against
PostgreSQL + pgvector alike (same SQL). Usage:

    python3 bench/wire_qps.py --port 5433 [--rows 100000] [--queries 1000] [--clients 4]
"""

import argparse
import gzip
import json
import os
import struct
import threading
import time

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

DATA = os.environ.get(
    "QUIVER_DATASET",
    os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "wiki-squad-minilm"),
)


def read_vecs(path, dtype, n=None):
    raw = np.fromfile(path, dtype=np.int32)
    dim = raw[0]
    rows = raw.reshape(-1, dim + 1)[:, 1:]
    if n is not None:
        rows = rows[:n]
    return rows.view(dtype) if dtype == np.float32 else rows


def recall(got, truth, k=10):
    return len(set(got[:k]) & set(truth[:k])) / k


def run_queries(conninfo, sql, queries, clients, setup):
    """Runs every query once, split over `clients` connections; returns (ids per query, QPS)."""
    results = [None] * len(queries)
    barrier = threading.Barrier(clients + 1)

    def worker(start):
        with psycopg.connect(conninfo, autocommit=True) as conn:
            register_vector(conn)
            for s in setup:
                conn.execute(s)
            cur = conn.cursor(binary=True)
            # Warm-up: plan cache, index load.
            cur.execute(sql, (queries[start],), prepare=True)
            cur.fetchall()
            barrier.wait()
            for i in range(start, len(queries), clients):
                cur.execute(sql, (queries[i],), prepare=True)
                results[i] = [r[0] for r in cur.fetchall()]
            barrier.wait()

    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    barrier.wait()
    elapsed = time.perf_counter() - t0
    for t in threads:
        t.join()
    return results, len(queries) / elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5433)
    ap.add_argument("--user", default="postgres")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--ef", default="20,40,64,100")
    ap.add_argument("--skip-load", action="store_true")
    args = ap.parse_args()
    conninfo = f"host={args.host} port={args.port} user={args.user} dbname=postgres"

    base = read_vecs(os.path.join(DATA, "base.fvecs"), np.float32, args.rows)
    queries = read_vecs(os.path.join(DATA, "query.fvecs"), np.float32, args.queries)
    gt = read_vecs(os.path.join(DATA, "gt.ivecs"), np.int32, args.queries)
    gt_cat = read_vecs(os.path.join(DATA, "gt_cat.ivecs"), np.int32, args.queries)
    cats = []
    with gzip.open(os.path.join(DATA, "docs.jsonl.gz"), "rt") as f:
        for line in f:
            cats.append(json.loads(line)["category"])
            if len(cats) == args.rows:
                break
    full = args.rows == 100_000
    out = {"rows": args.rows, "queries": args.queries}

    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(conn)
        if not args.skip_load:
            conn.execute("DROP TABLE IF EXISTS bench_items")
            conn.execute(
                "CREATE TABLE bench_items (id int PRIMARY KEY, category int, embedding vector(384))"
            )
            t0 = time.perf_counter()
            with conn.cursor().copy(
                "COPY bench_items (id, category, embedding) FROM STDIN WITH (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["int4", "int4", "vector"])
                for i in range(args.rows):
                    copy.write_row((i, cats[i], base[i]))
            load = time.perf_counter() - t0
            out["copy_rows_per_s"] = args.rows / load
            print(f"binary COPY: {args.rows / load:,.0f} rows/s")
            t0 = time.perf_counter()
            conn.execute(
                "CREATE INDEX bench_items_hnsw ON bench_items USING hnsw (embedding vector_cosine_ops) "
                "WITH (m = 16, ef_construction = 64)"
            )
            out["build_s"] = time.perf_counter() - t0
            print(f"HNSW build (m=16, ef_construction=64): {out['build_s']:.1f} s")

    sql = "SELECT id FROM bench_items ORDER BY embedding <=> %s LIMIT 10"
    sweep = []
    for ef in [int(x) for x in args.ef.split(",")]:
        setup = [f"SET hnsw.ef_search = {ef}"]
        row = {"ef_search": ef}
        for clients in (1, args.clients):
            ids, qps = run_queries(conninfo, sql, queries, clients, setup)
            if full:
                r = float(np.mean([recall(ids[i], gt[i]) for i in range(len(ids))]))
            else:
                r = float("nan")
            row[f"qps_{clients}"] = qps
            row["recall"] = r
        sweep.append(row)
        print(
            f"ef_search={ef:4d}  recall@10={row['recall']:.4f}  "
            f"QPS 1 client={row['qps_1']:,.0f}  {args.clients} clients={row[f'qps_{args.clients}']:,.0f}"
        )
    out["sweep"] = sweep

    # The filtered workload: category = query index % 10 (about 10 % of rows), default settings.
    fsql = "SELECT id FROM bench_items WHERE category = %s ORDER BY embedding <=> %s LIMIT 10"

    results = [None] * len(queries)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        register_vector(conn)
        cur = conn.cursor(binary=True)
        cur.execute(fsql, (0, queries[0]), prepare=True)
        cur.fetchall()
        t0 = time.perf_counter()
        for i in range(len(queries)):
            cur.execute(fsql, (i % 10, queries[i]), prepare=True)
            results[i] = [r[0] for r in cur.fetchall()]
        fqps = len(queries) / (time.perf_counter() - t0)
    rows = float(np.mean([len(r) for r in results]))
    if full:
        fr = float(np.mean([recall(results[i], gt_cat[i]) for i in range(len(results))]))
    else:
        fr = float("nan")
    out["filtered"] = {"recall": fr, "qps": fqps, "rows": rows}
    print(f"10% filter (defaults): recall@10={fr:.4f}  rows={rows:.2f}  QPS={fqps:,.0f}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
