# Peers of bench_feature_store, run with /usr/bin/python3 (Debian's
# python3-lmdb, numpy, pandas):
#   ingest IMAGES LABELS DIR [--sqlite]  the same image and label bytes put into a
#       fresh LMDB environment in 1 MiB chunks in one transaction (python3-lmdb),
#       and with --sqlite the 60000 x 785 DataFrame written by pandas to SQLite
#       prints: lmdb_s <s> bytes <n> [sqlite_s <s>]
#   corr IMAGES [--pandas]  numpy.corrcoef of the images as 784 columns (float64,
#       as numpy converts), and with --pandas DataFrame.corr()
#       prints: corrcoef_s <s> [pandas_s <s>] checksum <sum of the matrix, NaN as 0>
#   pit NL NF K  pandas.merge_asof of NL label rows on NF feature rows of 10
#       features over K keys (the data bench_feature_store generates)
#       prints: merge_asof_s <s> rows <matched> digest <sum of f0 + f9 matched>
import gzip
import os
import sqlite3
import sys
import time

import numpy as np


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def ingest(images, labels, out, with_sqlite):
    import lmdb
    x = idx(images)
    y = idx(labels)
    payload = x.tobytes() + y.tobytes()
    chunk = 1 << 20
    t0 = time.perf_counter()
    env = lmdb.open(out, map_size=1 << 30)
    with env.begin(write=True) as txn:
        for i in range(0, len(payload), chunk):
            txn.put(i.to_bytes(8, "big"), payload[i:i + chunk])
    env.sync(True)
    env.close()
    dt = time.perf_counter() - t0
    line = "lmdb_s %.6f bytes %d" % (dt, len(payload))
    if with_sqlite:
        import pandas as pd
        df = pd.DataFrame(x.reshape(len(x), -1), columns=["p%d" % i for i in range(784)])
        df["label"] = y
        db = os.path.join(out, "peer.sqlite")
        t0 = time.perf_counter()
        con = sqlite3.connect(db)
        df.to_sql("fashion", con, index=True, chunksize=1000)
        con.commit()
        con.close()
        line += " sqlite_s %.6f" % (time.perf_counter() - t0)
    print(line, flush=True)


def corr(images, with_pandas):
    x = idx(images).reshape(-1, 784)
    t0 = time.perf_counter()
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(x, rowvar=False)
    line = "corrcoef_s %.6f" % (time.perf_counter() - t0)
    if with_pandas:
        import pandas as pd
        df = pd.DataFrame(x)
        t0 = time.perf_counter()
        df.corr()
        line += " pandas_s %.6f" % (time.perf_counter() - t0)
    print(line + " checksum %.6f" % np.nansum(r), flush=True)


def pit(nl, nf, k):
    import pandas as pd
    i = np.arange(nf, dtype=np.int64)
    feats = pd.DataFrame({"key": (i * 7919) % k, "ts": i})
    for j in range(10):
        feats["f%d" % j] = ((i * (j + 1)) % 1000).astype(np.float64)
    li = np.arange(nl, dtype=np.int64)
    labels = pd.DataFrame({"key": (li * 104729) % k, "ts": (li * 13) % nf, "y": li})
    t0 = time.perf_counter()
    out = pd.merge_asof(labels.sort_values("ts"), feats.sort_values("ts"), on="ts", by="key",
                        direction="backward", allow_exact_matches=True)
    dt = time.perf_counter() - t0
    matched = out["f0"].notna()
    digest = out.loc[matched, "f0"].sum() + out.loc[matched, "f9"].sum()
    print("merge_asof_s %.6f rows %d digest %.1f" % (dt, int(matched.sum()), digest), flush=True)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "ingest":
        ingest(sys.argv[2], sys.argv[3], sys.argv[4], "--sqlite" in sys.argv)
    elif cmd == "corr":
        corr(sys.argv[2], "--pandas" in sys.argv)
    elif cmd == "pit":
        pit(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
