// bench_feature_store: the feature store's core (storage/feature_*) against
// its peers in one run (bench/peers/feature_store_peers.py under
// /usr/bin/python3), printed as ratios. See bench/README.md.
//
//   build/bench/bench_feature_store [--reps 3] [--sqlite] [--pandas-corr]
//       [--pit-labels 100000] [--pit-features 1000000] [--pit-keys 100000]
//       [--lookups 100000] [--online-rows 10000] [--only abcdef] [--quick]
//
// (a) ingest: the 60,000 Fashion-MNIST training images + labels created as a
//     feature group (chunks, index, moments, histograms, HyperLogLog and the
//     786 x 786 co-moments, one LMDB commit) vs python3-lmdb putting the same
//     bytes in 1 MiB chunks in one transaction (and pandas to SQLite with --sqlite).
// (b) the 784 x 784 pixel correlation: lagom's compute_statistics of the image
//     column (every statistic, the BLAS co-moments included) vs numpy.corrcoef
//     (and pandas .corr() with --pandas-corr).
// (c) one epoch of shuffled training dataset reads (batches of 256 rows,
//     784 float32 + label) by 1 rank and by 2 ranks (two threads) vs memcpy of
//     the same bytes in the same batch sizes.
// (d) online lookups of single random keys, in process: p50 and p99.
// (f) online lookups through a `lagom head` process over loopback (a remote
//     client, feature_store_online.cpp), --online-rows of the same rows as (d).
// (e) point-in-time join: label rows against feature rows of 10 features over
//     K keys, vs pandas.merge_asof on the same data; the same matched rows
//     (count and a digest) are checked.
// Each of (a), (b), (e) alternates lagom and the peer, `reps` times; medians.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "feature_store_online.hpp"
#include "storage/feature_import.hpp"
#include "storage/feature_query.hpp"
#include "storage/feature_store.hpp"
#include "storage/training_dataset.hpp"

namespace {

using namespace lagom;
using namespace lagom::storage;
using clk = std::chrono::steady_clock;

const std::string data_dir = "/usr/share/datasets/fashion-mnist/";
const std::string peer = "/usr/bin/python3 " LAGOM_SOURCE_DIR "/bench/peers/feature_store_peers.py";

double seconds_since(clk::time_point t) {
  return std::chrono::duration<double>(clk::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void must(const status& st, const char* what) {
  if (!st) {
    std::fprintf(stderr, "bench_feature_store: %s: %s\n", what, st.to_string().c_str());
    std::exit(1);
  }
}

// Runs the peer; returns its output's "name value" pairs.
std::map<std::string, double> run_peer(const std::string& args) {
  std::string cmd = peer + " " + args;
  FILE* p = ::popen(cmd.c_str(), "r");
  std::map<std::string, double> out;
  char name[64];
  double v;
  while (p != nullptr && std::fscanf(p, "%63s %lf", name, &v) == 2)
    out[name] = v;
  if (p == nullptr || ::pclose(p) != 0 || out.empty()) {
    std::fprintf(stderr, "bench_feature_store: the peer failed: %s\n(is python3-lmdb, numpy, "
                         "pandas installed for /usr/bin/python3? scripts/setup --bench)\n",
                 cmd.c_str());
    std::exit(1);
  }
  return out;
}

std::string temp_dir() {
  char pattern[] = "/tmp/bench-fs-XXXXXX";
  if (::mkdtemp(pattern) == nullptr)
    std::exit(1);
  return pattern;
}

feature_schema schema_of(const feature_frame& f, std::vector<std::string> key,
                         std::string et = {}) {
  feature_schema s;
  s.columns = f.specs();
  s.primary_key = std::move(key);
  s.event_time = std::move(et);
  return s;
}

struct options {
  int reps = 3;
  bool sqlite = false, pandas_corr = false;
  uint64_t pit_labels = 100000, pit_features = 1000000, pit_keys = 100000;
  int lookups = 100000;
  size_t online_rows = 10000;
  std::string only = "abcdef";  ///< the parts to run
};

// (c): reads `rows` in batches of 256 into a buffer; returns seconds.
double read_epoch(const training_dataset_reader& rd, const std::vector<uint64_t>& rows) {
  std::vector<float> x(256 * rd.dim());
  std::vector<double> y(256);
  auto t = clk::now();
  for (size_t b = 0; b < rows.size(); b += 256) {
    std::vector<uint64_t> batch(rows.begin() + b, rows.begin() + std::min(rows.size(), b + 256));
    must(rd.read_rows(batch, x.data(), y.data()), "read_rows");
  }
  return seconds_since(t);
}

double memcpy_epoch(const std::vector<float>& src, size_t rows, size_t dim) {
  std::vector<float> x(256 * dim);
  auto t = clk::now();
  for (size_t b = 0; b < rows; b += 256) {
    size_t n = std::min<size_t>(256, rows - b);
    std::memcpy(x.data(), src.data() + b * dim, n * dim * 4);
  }
  double s = seconds_since(t);
  volatile float sink = x[7];
  (void)sink;
  return s;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::strtoull(argv[++i], nullptr, 10) : 0ull; };
    if (a == "--reps") o.reps = static_cast<int>(next());
    else if (a == "--sqlite") o.sqlite = true;
    else if (a == "--pandas-corr") o.pandas_corr = true;
    else if (a == "--pit-labels") o.pit_labels = next();
    else if (a == "--pit-features") o.pit_features = next();
    else if (a == "--pit-keys") o.pit_keys = next();
    else if (a == "--lookups") o.lookups = static_cast<int>(next());
    else if (a == "--online-rows") o.online_rows = static_cast<size_t>(next());
    else if (a == "--only" && i + 1 < argc) o.only = argv[++i];
    else if (a == "--quick") {
      o.reps = 1;
      o.pit_labels = 10000;
      o.pit_features = 100000;
      o.pit_keys = 10000;
      o.lookups = 10000;
    } else {
      std::fprintf(stderr, "bench_feature_store: unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  std::string images = data_dir + "train-images-idx3-ubyte.gz";
  std::string labels = data_dir + "train-labels-idx1-ubyte.gz";
  feature_frame fashion;
  must(read_idx_pair(images, labels, &fashion), "read Fashion-MNIST");
  std::printf("bench_feature_store: %d repetition(s), %u hardware threads\n\n", o.reps,
              std::thread::hardware_concurrency());

  // (a) ingest
  auto wanted = [&](char part) { return o.only.find(part) != std::string::npos; };
  std::vector<double> ours, ours_nc, raw, sql, ratio, ratio_nc;
  std::string keep;  // the last shard made, for (c) and (d)
  bool need_shard = wanted('a') || wanted('c') || wanted('d');
  for (int r = 0; r < (need_shard ? o.reps : 0); ++r) {
    for (int side = 0; side < 2; ++side) {
      bool lagom_side = (side == 0) == (r % 2 == 0);
      std::string dir = temp_dir();
      if (lagom_side) {
        feature_store fs;
        must(feature_store::open(dir + "/shard", {}, &fs), "open");
        auto t = clk::now();
        must(fs.create("fashion", schema_of(fashion, {"id"}), fashion), "create");
        ours.push_back(seconds_since(t));
        if (!keep.empty())
          std::filesystem::remove_all(keep);
        keep = dir;
        // The same without the correlation matrix (moments and histograms only).
        std::string dir2 = temp_dir();
        feature_store fs2;
        must(feature_store::open(dir2 + "/shard", {}, &fs2), "open");
        write_options no_corr;
        no_corr.correlations = false;
        t = clk::now();
        must(fs2.create("fashion", schema_of(fashion, {"id"}), fashion, no_corr), "create");
        ours_nc.push_back(seconds_since(t));
        std::filesystem::remove_all(dir2);
      } else {
        auto p = run_peer("ingest " + images + " " + labels + " " + dir + (o.sqlite ? " --sqlite" : ""));
        raw.push_back(p["lmdb_s"]);
        if (p.count("sqlite_s"))
          sql.push_back(p["sqlite_s"]);
        std::filesystem::remove_all(dir);
      }
    }
    if (!ours.empty() && !ours_nc.empty() && !raw.empty()) {
      ratio.push_back(raw.back() / ours.back());
      ratio_nc.push_back(raw.back() / ours_nc.back());
    }
  }
  double bytes = 60000.0 * 784 + 60000;
  if (need_shard) {
  std::printf("(a) ingest of 60000 x 784 images + labels (%.1f MB)\n", bytes / 1e6);
  std::printf("    lagom create (stats + correlation + index)  %8.3f s  %6.2f GB/s\n",
              median(ours), bytes / median(ours) / 1e9);
  std::printf("    lagom create (stats, no correlation)        %8.3f s  %6.2f GB/s\n",
              median(ours_nc), bytes / median(ours_nc) / 1e9);
  std::printf("    python3-lmdb raw 1 MiB chunk puts           %8.3f s  %6.2f GB/s\n",
              median(raw), bytes / median(raw) / 1e9);
  if (!sql.empty())
    std::printf("    pandas to SQLite                            %8.3f s\n", median(sql));
  std::printf("    ratio lagom/raw throughput: %.2fx with moments and histograms (goal >= 0.7); "
              "%.2fx with the correlations too\n\n",
              median(ratio_nc), median(ratio));
  }

  // (b) correlation
  if (wanted('b')) {
  feature_frame image_only;
  image_only.columns.push_back(fashion.columns[1]);
  ours.clear();
  ratio.clear();
  std::vector<double> np, pd;
  double our_sum = 0, np_sum = 0;
  for (int r = 0; r < o.reps; ++r) {
    for (int side = 0; side < 2; ++side) {
      if ((side == 0) == (r % 2 == 0)) {
        feature_statistics s;
        auto t = clk::now();
        compute_statistics(image_only, &s);
        ours.push_back(seconds_since(t));
        our_sum = 0;
        for (double v : s.correlation())
          our_sum += std::isnan(v) ? 0 : v;
      } else {
        auto p = run_peer("corr " + images + (o.pandas_corr ? " --pandas" : ""));
        np.push_back(p["corrcoef_s"]);
        np_sum = p["checksum"];
        if (p.count("pandas_s"))
          pd.push_back(p["pandas_s"]);
      }
    }
    ratio.push_back(ours.back() / np.back());
  }
  std::printf("(b) 784 x 784 correlation of 60000 rows\n");
  std::printf("    lagom compute_statistics (all statistics)   %8.3f s\n", median(ours));
  std::printf("    numpy.corrcoef                              %8.3f s\n", median(np));
  if (!pd.empty())
    std::printf("    pandas DataFrame.corr                       %8.3f s\n", median(pd));
  std::printf("    ratio lagom/numpy time: %.2fx (goal <= 0.5); matrix sums %.4f vs %.4f\n\n",
              median(ratio), our_sum, np_sum);

  }

  // (c) epoch reads
  if (wanted('c') || wanted('d')) {
    feature_store fs;
    must(feature_store::open(keep + "/shard", {}, &fs), "reopen");
    training_dataset_spec spec;
    spec.name = "fashion_td";
    spec.query.features = {"image"};
    spec.label = "label";
    spec.splits = {{"train", 1.0}};
    spec.seed = 1;
    auto t = clk::now();
    must(create_training_dataset(fs, spec), "create_training_dataset");
    double made = seconds_since(t);
    training_dataset_reader rd;
    must(training_dataset_reader::open(fs, "fashion_td", 0, "train", &rd), "reader");
    std::vector<float> flat(rd.rows() * rd.dim(), 1.0f);
    std::vector<double> one, one_mem, two, two_mem;
    for (int r = 0; r < o.reps; ++r) {
      one.push_back(read_epoch(rd, rd.epoch_rows(r, 0, 1)));
      one_mem.push_back(memcpy_epoch(flat, rd.rows(), rd.dim()));
      double ranks[2], mems[2];
      auto r0 = rd.epoch_rows(r, 0, 2), r1 = rd.epoch_rows(r, 1, 2);
      auto t2 = clk::now();
      std::thread a([&] { ranks[0] = read_epoch(rd, r0); });
      std::thread b([&] { ranks[1] = read_epoch(rd, r1); });
      a.join();
      b.join();
      two.push_back(seconds_since(t2));
      t2 = clk::now();
      std::vector<float> lo(flat.begin(), flat.begin() + flat.size() / 2);
      std::vector<float> hi(flat.begin() + flat.size() / 2, flat.end());
      t2 = clk::now();
      std::thread c([&] { mems[0] = memcpy_epoch(lo, rd.rows() / 2, rd.dim()); });
      std::thread d([&] { mems[1] = memcpy_epoch(hi, rd.rows() / 2, rd.dim()); });
      c.join();
      d.join();
      two_mem.push_back(seconds_since(t2));
    }
    double mb = rd.rows() * rd.dim() * 4.0 / 1e6;
    std::printf("(c) one shuffled epoch of %llu rows x %u float32 (%.0f MB), batches of 256\n",
                static_cast<unsigned long long>(rd.rows()), rd.dim(), mb);
    std::printf("    training dataset made once in %.3f s\n", made);
    std::printf("    1 rank:  lagom %.3f s (%.2f GB/s), memcpy %.3f s: ratio %.2fx (goal >= 0.5)\n",
                median(one), mb / 1e3 / median(one), median(one_mem),
                median(one_mem) / median(one));
    std::printf("    2 ranks: lagom %.3f s (%.2f GB/s), memcpy %.3f s: ratio %.2fx (goal >= 0.5)\n\n",
                median(two), mb / 1e3 / median(two), median(two_mem),
                median(two_mem) / median(two));

    // (d) lookups
    std::mt19937_64 rng(5);
    std::vector<double> us;
    feature_frame out;
    std::vector<bool> found;
    for (int i = 0; i < o.lookups; ++i) {
      key_value k{static_cast<int64_t>(rng() % 60000)};
      auto t3 = clk::now();
      must(fs.lookup("fashion", {k}, {}, &out, &found), "lookup");
      us.push_back(seconds_since(t3) * 1e6);
    }
    std::sort(us.begin(), us.end());
    std::vector<key_value> batch;
    for (int i = 0; i < 1000; ++i)
      batch.push_back({static_cast<int64_t>(rng() % 60000)});
    auto t4 = clk::now();
    must(fs.lookup("fashion", batch, {}, &out, &found), "batch lookup");
    double per = seconds_since(t4) * 1e6 / 1000;
    std::printf("(d) online lookups (all 3 columns, 784-byte image), in process, %d keys\n",
                o.lookups);
    std::printf("    single: p50 %.1f us, p99 %.1f us (goal p99 <= 50 us); batch of 1000: "
                "%.2f us per key\n\n",
                us[us.size() / 2], us[us.size() * 99 / 100], per);
  }
  if (!keep.empty())
    std::filesystem::remove_all(keep);

  // (e) point-in-time join
  if (wanted('e')) {
    std::string dir = temp_dir();
    feature_store fs;
    feature_store_options fo;
    must(feature_store::open(dir + "/shard", fo, &fs), "open");
    feature_frame feats, labs;
    feature_column key, ts;
    key.spec = {"key", feature_type::int64, 1};
    ts.spec = {"ts", feature_type::int64, 1};
    feats.columns = {key, ts};
    for (int j = 0; j < 10; ++j) {
      feature_column f;
      f.spec = {"f" + std::to_string(j), feature_type::float64, 1};
      feats.columns.push_back(f);
    }
    for (uint64_t i = 0; i < o.pit_features; ++i) {
      feats.columns[0].i64.push_back(static_cast<int64_t>((i * 7919) % o.pit_keys));
      feats.columns[1].i64.push_back(static_cast<int64_t>(i));
      for (int j = 0; j < 10; ++j)
        feats.columns[2 + j].f64.push_back(static_cast<double>((i * (j + 1)) % 1000));
    }
    feature_column y;
    y.spec = {"y", feature_type::int64, 1};
    labs.columns = {key, ts, y};
    for (uint64_t i = 0; i < o.pit_labels; ++i) {
      labs.columns[0].i64.push_back(static_cast<int64_t>((i * 104729) % o.pit_keys));
      labs.columns[1].i64.push_back(static_cast<int64_t>((i * 13) % o.pit_features));
      labs.columns[2].i64.push_back(static_cast<int64_t>(i));
    }
    must(fs.create("feats", schema_of(feats, {"key"}, "ts"), feats), "create feats");
    must(fs.create("labels", schema_of(labs, {"key"}, "ts"), labs), "create labels");
    feature_query q;
    q.features = {"y"};
    for (int j = 0; j < 10; ++j)
      q.features.push_back("f" + std::to_string(j));
    q.join = join_kind::left;
    ours.clear();
    ratio.clear();
    std::vector<double> pandas;
    uint64_t our_rows = 0, their_rows = 0;
    double our_digest = 0, their_digest = 0;
    for (int r = 0; r < o.reps; ++r) {
      for (int side = 0; side < 2; ++side) {
        if ((side == 0) == (r % 2 == 0)) {
          feature_frame out;
          auto t = clk::now();
          must(get_features(fs, q, &out), "get_features");
          ours.push_back(seconds_since(t));
          our_rows = 0;
          our_digest = 0;
          const auto& f0 = *out.find("f0");
          const auto& f9 = *out.find("f9");
          for (size_t i = 0; i < out.rows(); ++i)
            if (!f0.is_null(i)) {
              ++our_rows;
              our_digest += f0.f64[i] + f9.f64[i];
            }
        } else {
          auto p = run_peer("pit " + std::to_string(o.pit_labels) + " " +
                            std::to_string(o.pit_features) + " " + std::to_string(o.pit_keys));
          pandas.push_back(p["merge_asof_s"]);
          their_rows = static_cast<uint64_t>(p["rows"]);
          their_digest = p["digest"];
        }
      }
      ratio.push_back(pandas.back() / ours.back());
    }
    std::printf("(e) point-in-time join: %llu label rows on %llu feature rows x 10 over %llu keys\n",
                static_cast<unsigned long long>(o.pit_labels),
                static_cast<unsigned long long>(o.pit_features),
                static_cast<unsigned long long>(o.pit_keys));
    std::printf("    lagom get_features (from LMDB)   %8.3f s\n", median(ours));
    std::printf("    pandas.merge_asof (in memory)    %8.3f s\n", median(pandas));
    std::printf("    ratio pandas/lagom time: %.2fx (goal >= 3); rows %llu vs %llu, digest %.1f vs "
                "%.1f: %s\n",
                median(ratio), static_cast<unsigned long long>(our_rows),
                static_cast<unsigned long long>(their_rows), our_digest, their_digest,
                our_rows == their_rows && our_digest == their_digest ? "same" : "DIFFERENT");
    std::filesystem::remove_all(dir);
  }

  // (f) online lookups through a head over loopback
  if (wanted('f') &&
      lagom::bench::online_lookups(fashion, std::min(o.online_rows, fashion.rows()), o.lookups,
                                   LAGOM_BINARY) != 0)
    return 1;
  return 0;
}
