// Embedding lagom in a C++ program: start a cluster of 2 virtual nodes in this
// process, run "hello_gpu" in 4 containers spread over them, print the results.
//   build/examples/embed_hello
// Exits non-zero if any container failed.
#include <cstdio>

#include <lagom/lagom.hpp>

int main() {
  lagom::embedded_options opts;
  opts.nodes = 2;
  opts.cpus_per_node = 2;
  std::unique_ptr<lagom::cluster> cluster;
  if (auto st = lagom::cluster::start_embedded(opts, cluster); !st) {
    std::fprintf(stderr, "embed_hello: %s\n", st.to_string().c_str());
    return 1;
  }
  lagom::launch_options lo;
  lo.count = 4;
  lo.gang = true;
  lo.spread = true;
  std::vector<lagom::container_outcome> outcomes;
  if (auto st = cluster->launch("hello_gpu", lo, outcomes); !st) {
    std::fprintf(stderr, "embed_hello: %s\n", st.to_string().c_str());
    return 1;
  }
  int failed = 0;
  for (auto& o : outcomes) {
    if (o.result)
      std::printf("rank %u on %s (%s): %s\n", o.rank, o.node.c_str(), o.device.c_str(),
                  o.values.text("message", "").c_str());
    else {
      std::printf("rank %u on %s failed: %s\n", o.rank, o.node.c_str(),
                  o.result.to_string().c_str());
      ++failed;
    }
  }
  return failed == 0 ? 0 : 1;
}
