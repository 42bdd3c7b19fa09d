// A host service that embeds lagom: its own train function, defined here in
// the host's code, runs in the containers of an embedded cluster the host
// starts in its own process.
//   host_service [DATA_DIR]
// The function fits y = 3x + 1 by gradient descent on data it makes from its
// seed; each container gets its own learning rate, reports the loss every
// epoch and checkpoints its weights every 50 epochs. Prints one line per
// container and exits 0 only when every container succeeded and found the line.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include <lagom/lagom.hpp>
#include <lagom/params.hpp>

namespace {

lagom::named_values fit_line(lagom::train_context& ctx) {
  const auto epochs = static_cast<int>(ctx.param("epochs", 20.0));
  const double lr = ctx.param("lr", 0.1) * (1.0 + ctx.rank());
  std::mt19937 gen(static_cast<unsigned>(ctx.param("seed", 7.0)) + ctx.rank());
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> xs(256), ys(256);
  for (size_t i = 0; i < xs.size(); ++i) {
    xs[i] = u(gen);
    ys[i] = 3.0 * xs[i] + 1.0;
  }
  double w = 0.0, b = 0.0, loss = 0.0;
  for (int epoch = 1; epoch <= epochs && !ctx.stop_requested(); ++epoch) {
    double gw = 0.0, gb = 0.0;
    loss = 0.0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double err = w * xs[i] + b - ys[i];
      loss += err * err / xs.size();
      gw += 2.0 * err * xs[i] / xs.size();
      gb += 2.0 * err / xs.size();
    }
    w -= lr * gw;
    b -= lr * gb;
    lagom::named_values m;
    m.set("loss", loss);
    ctx.report(static_cast<uint64_t>(epoch), m);
    if (epoch % 50 == 0 || epoch == epochs)
      ctx.save_checkpoint(static_cast<uint64_t>(epoch),
                          std::to_string(w) + " " + std::to_string(b));
  }
  ctx.log("fit_line on " + ctx.node() + ": w=" + std::to_string(w) + " b=" + std::to_string(b));
  lagom::named_values out;
  out.set("w", w);
  out.set("b", b);
  out.set("loss", loss);
  return out;
}

}  // namespace

LAGOM_TRAIN_FN_WITH_PARAMS("fit_line", fit_line,
                           {lagom::param_spec::integer("epochs", 20, 1, 10000),
                            lagom::param_spec::real("lr", 0.1, 1e-6, 1.0),
                            lagom::param_spec::integer("seed", 7, 0, 1000000)});

int main(int argc, char** argv) {
  lagom::embedded_options opts;   // functions: every LAGOM_TRAIN_FN of this binary
  opts.nodes = 2;
  opts.cpus_per_node = 2;
  if (argc > 1)
    opts.data_dir = argv[1];
  std::unique_ptr<lagom::cluster> cluster;
  if (auto st = lagom::cluster::start_embedded(opts, cluster); !st) {
    std::fprintf(stderr, "host_service: %s\n", st.to_string().c_str());
    return 1;
  }
  lagom::launch_options lo;
  lo.count = 3;
  lo.spread = true;
  lo.name = "host-fit-line";
  lo.params.set("epochs", 200.0);
  lo.params.set("lr", 0.1);
  std::vector<lagom::container_outcome> outcomes;
  if (auto st = cluster->launch("fit_line", lo, outcomes); !st) {
    std::fprintf(stderr, "host_service: %s\n", st.to_string().c_str());
    return 1;
  }
  int bad = 0;
  for (const auto& o : outcomes) {
    if (!o.result) {
      std::printf("rank %u on %s failed: %s\n", o.rank, o.node.c_str(),
                  o.result.to_string().c_str());
      ++bad;
      continue;
    }
    const double w = o.values.number("w", 0), b = o.values.number("b", 0);
    const bool fit = std::fabs(w - 3.0) < 0.05 && std::fabs(b - 1.0) < 0.05;
    std::printf("rank %u on %s: fit_line w=%.4f b=%.4f loss=%.2e %s\n", o.rank, o.node.c_str(), w,
                b, o.values.number("loss", 0), fit ? "ok" : "NOT FIT");
    bad += fit ? 0 : 1;
  }
  return bad == 0 && !outcomes.empty() ? 0 : 1;
}
