"""psycopg 3 with pgvector-python's register_vector against quiver (port in argv[1]).

register_vector looks the types up in pg_type; then vectors travel as text and in pgvector's binary
format. Exits non-zero on any mismatch."""
import sys

import psycopg
from pgvector import HalfVector, SparseVector, Vector
from pgvector.psycopg import register_vector

conn = psycopg.connect(f"host=127.0.0.1 port={sys.argv[1]} user=postgres dbname=postgres", autocommit=True)
conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
register_vector(conn)
conn.execute("CREATE TABLE py_items (id bigserial PRIMARY KEY, embedding vector(3), half halfvec(3), sparse sparsevec(3))")
conn.execute(
    "INSERT INTO py_items (embedding, half, sparse) VALUES (%s, %s, %s), (%s, %s, %s)",
    (Vector([1, 2, 3]), HalfVector([1, 2, 3]), SparseVector([1, 0, 3]),
     Vector([4, 5, 6]), HalfVector([4, 5, 6]), SparseVector([0, 5, 0])),
)
for binary in (False, True):
    with conn.cursor(binary=binary) as cur:
        cur.execute("SELECT id, embedding, half, sparse FROM py_items ORDER BY embedding <-> %s LIMIT %s",
                    (Vector([3, 1, 2]), 5))
        rows = cur.fetchall()
        assert [r[0] for r in rows] == [1, 2], rows
        assert rows[0][1] == Vector([1, 2, 3]), rows
        assert rows[0][2].to_list() == [1, 2, 3], rows
        assert rows[0][3].to_list() == [1, 0, 3], rows
print("psycopg + pgvector: ok")
