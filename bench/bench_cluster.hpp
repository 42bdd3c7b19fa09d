// The embedded cluster the search benches run on: 1 node of 2 cpus, logging
// at warn, its data directory a fresh temporary one that goes with it.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/log.hpp"
#include "lagom/cluster.hpp"

namespace lagom::bench {

class bench_cluster {
public:
  /// Starts the cluster; on failure prints "<bench>: why" and exits 1.
  explicit bench_cluster(const std::string& bench)
    : data_(std::filesystem::temp_directory_path() /
            ("lagom-" + bench + "-" + std::to_string(::getpid()))) {
    lagom::log::set_level("warn");
    lagom::embedded_options eo;
    eo.nodes = 1;
    eo.cpus_per_node = 2;
    eo.data_dir = data_;
    if (auto st = lagom::cluster::start_embedded(eo, cluster_); !st) {
      std::fprintf(stderr, "%s: %s\n", bench.c_str(), st.to_string().c_str());
      std::exit(1);
    }
  }
  ~bench_cluster() {
    cluster_.reset();
    std::filesystem::remove_all(data_);
  }
  bench_cluster(const bench_cluster&) = delete;
  bench_cluster& operator=(const bench_cluster&) = delete;

  lagom::cluster& operator*() { return *cluster_; }
  lagom::cluster* operator->() { return cluster_.get(); }

private:
  std::string data_;
  std::unique_ptr<lagom::cluster> cluster_;
};

} // namespace lagom::bench
