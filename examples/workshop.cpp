// The seed's hands-on workshop from C++, through <lagom/lagom.hpp> alone: the
// same exercises as examples/workshop.lagom, with the same parameters.
//
//   build/examples/workshop DATA_DIR [NAME=VALUE ...]
//   build/examples/workshop "$(mktemp -d)" epochs=1 train_limit=2000 trials=4 trial_epochs=2
//     trial_limit=1000 images=idx:/usr/share/datasets/fashion-mnist:t10k  (the tests' run)
//
// DATA_DIR must not hold a run of the workshop already (its feature groups
// and experiments would exist). Exit codes: 0 ok, 1 a step failed (named on
// stderr), 2 bad arguments.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <lagom/lagom.hpp>

namespace {

// The workshop's knobs: the `param` lines of examples/workshop.lagom.
const std::vector<std::pair<std::string, std::string>> defaults = {
  {"images", "idx:/usr/share/datasets/fashion-mnist"},
  // The training dataset of exercise 3 (or an IDX directory).
  {"train_data", "fs:fashion_td"},
  {"epochs", "5"},       {"batch", "64"},         {"train_limit", "0"},
  {"trials", "10"},      {"trial_epochs", "4"},   {"trial_limit", "12000"},
};

struct params {
  std::map<std::string, std::string> v;
  std::string text(const std::string& k) const { return v.at(k); }
  double number(const std::string& k) const { return std::stod(v.at(k)); }
};

// NAME=VALUE arguments over the defaults; numbers checked. false: printed why.
bool parse_args(int argc, char** argv, std::string& data_dir, params& p) {
  for (auto& [k, x] : defaults)
    p.v[k] = x;
  if (argc < 2 || argv[1][0] == '-' || std::strchr(argv[1], '=')) {
    std::fprintf(stderr, "usage: workshop DATA_DIR [NAME=VALUE ...] (names: images, train_data, "
                         "epochs, batch, train_limit, trials, trial_epochs, trial_limit)\n");
    return false;
  }
  data_dir = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    std::string k = a.substr(0, eq == std::string::npos ? 0 : eq);
    if (eq == std::string::npos || !p.v.count(k)) {
      std::fprintf(stderr, "workshop: argument '%s': expected NAME=VALUE with NAME one of "
                           "images, train_data, epochs, batch, train_limit, trials, "
                           "trial_epochs, trial_limit\n", a.c_str());
      return false;
    }
    std::string val = a.substr(eq + 1);
    bool numeric = k != "images" && k != "train_data";
    char* end = nullptr;
    double n = numeric ? std::strtod(val.c_str(), &end) : 0;
    if (val.empty() || (numeric && (*end != '\0' || n < 0 || n != static_cast<long long>(n)))) {
      std::fprintf(stderr, "workshop: argument '%s': %s\n", a.c_str(),
                   numeric ? "expected a whole number >= 0" : "empty value");
      return false;
    }
    p.v[k] = val;
  }
  return true;
}

bool check(const lagom::status& st, const char* step) {
  if (!st)
    std::fprintf(stderr, "workshop: %s: %s\n", step, st.to_string().c_str());
  return bool(st);
}

std::string config_text(const lagom::named_values& v) {
  std::string out;
  for (auto& [k, x] : v.entries())
    out += (out.empty() ? "" : " ") + k + "=" + lagom::format_value(x);
  return out;
}

// Exercise 1: "Hello from GPU" in every container.
bool hello(lagom::cluster& c) {
  std::puts("== exercise 1: hello from every container");
  lagom::cluster_view view;
  if (!check(c.describe(view), "describe"))
    return false;
  for (auto& n : view.nodes)
    std::printf("node %s: %u cpus, %u gpus\n", n.name.c_str(), n.cpus, n.gpus);
  lagom::launch_options lo;
  lo.all = true;
  std::vector<lagom::container_outcome> out;
  if (!check(c.launch("hello_gpu", lo, out), "hello_gpu"))
    return false;
  bool ok = true;
  for (auto& o : out) {
    ok = ok && bool(o.result);
    std::printf("rank %u on %s (%s): %s\n", o.rank, o.node.c_str(), o.device.c_str(),
                o.result ? o.values.text("message", "").c_str() : o.result.to_string().c_str());
  }
  return ok;
}

// Exercises 2 and 3: a random group, show(5), its correlations; Fashion-MNIST
// with its statistics and a training dataset.
bool features(lagom::cluster& c, const params& p) {
  std::puts("== exercise 2: a feature group from a random 20 x 10 matrix");
  auto fs = c.feature_store();
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> matrix(20 * 10);
  for (auto& x : matrix)
    x = u(rng);
  lagom::storage::version_info v;
  if (!check(fs.create_featuregroup("eit_school", matrix, 20, 10, {}, &v), "eit_school"))
    return false;
  std::printf("created feature group %s v%u: %llu rows\n", v.group.c_str(), v.version,
              static_cast<unsigned long long>(v.rows));
  lagom::storage::feature_frame first;
  if (!check(fs.get_featuregroup("eit_school", 0, 5, &first), "show(5)"))
    return false;
  std::fputs(lagom::storage::format_table(first, 5).c_str(), stdout);
  std::string png;
  if (!check(fs.visualize_correlations("eit_school", 0, &png), "correlations"))
    return false;
  std::printf("wrote %s\n", png.c_str());

  std::puts("== exercise 3: Fashion-MNIST in the feature store");
  if (!check(fs.create_featuregroup_from("fashion", p.text("images"), {}, &v), "fashion"))
    return false;
  std::printf("created feature group %s v%u: %llu rows\n", v.group.c_str(), v.version,
              static_cast<unsigned long long>(v.rows));
  lagom::storage::feature_statistics stats;
  if (!check(fs.statistics("fashion", 0, &stats), "statistics"))
    return false;
  std::printf("%-10s %8s %8s %10s %10s %6s %6s\n", "FEATURE", "COUNT", "DISTINCT", "MEAN",
              "STDDEV", "MIN", "MAX");
  for (const char* name : {"id", "label", "image_0", "image_406"}) {
    const auto* col = stats.find(name);
    if (!col) {
      std::fprintf(stderr, "workshop: statistics: no feature '%s'\n", name);
      return false;
    }
    std::printf("%-10s %8llu %8llu %10.4g %10.4g %6g %6g\n", name,
                static_cast<unsigned long long>(col->count),
                static_cast<unsigned long long>(col->distinct()), col->mean, col->stddev(),
                col->min, col->max);
  }
  lagom::storage::training_dataset_spec spec;
  spec.name = "fashion_td";
  spec.query.features = {"image"};
  spec.label = "label";
  spec.splits = {{"train", 0.8}, {"validation", 0.1}, {"test", 0.1}};
  spec.seed = 1;
  lagom::storage::training_dataset_info td;
  if (!check(fs.create_training_dataset(spec, &td), "fashion_td"))
    return false;
  std::printf("created training dataset %s v%u: %u features, label %s", td.name.c_str(),
              td.version, td.dim, td.label.name.c_str());
  for (auto& s : td.splits)
    std::printf(", %s %llu", s.name.c_str(), static_cast<unsigned long long>(s.rows));
  std::puts(" rows");
  return true;
}

// Exercise 5: the CNN (exercise 4: fashion_mnist_cnn, built in) on 2 ranks.
bool train(lagom::cluster& c, const params& p) {
  std::puts("== exercise 5: the CNN trained data-parallel on 2 containers");
  lagom::collective_options o;
  o.workers = 2;
  o.name = "workshop-cnn";
  o.params.set("epochs", p.number("epochs"));
  o.params.set("batch_size", p.number("batch"));
  o.params.set("lr", 0.001);
  o.params.set("train_limit", p.number("train_limit"));
  o.params.set("data", p.text("train_data"));
  o.on_progress = [](const lagom::progress_event& ev) {
    if (ev.kind == lagom::progress_event::report && ev.run == 0 &&
        ev.metrics.contains("test_accuracy"))
      std::printf("epoch %s/%s  loss %.4f  test_acc %.4f  %.0f samples/s\n",
                  ev.metrics.text("epoch", "?").c_str(), ev.metrics.text("epochs", "?").c_str(),
                  ev.metrics.number("loss", 0), ev.metrics.number("test_accuracy", 0),
                  ev.metrics.number("samples_per_s", 0));
  };
  lagom::collective_result r;
  auto st = c.collective_all_reduce("fashion_mnist_cnn", o, r);
  for (auto& x : r.ranks)
    std::printf("rank %u of %u on %s: %s\n", x.rank, r.world_size, x.node.c_str(),
                x.result ? ("test_accuracy=" + x.values.text("test_accuracy", "-")).c_str()
                         : x.result.to_string().c_str());
  return check(st, "all_reduce");
}

// Exercise 6: ASHA over the learning rate and the dense layer's dropout.
bool search(lagom::cluster& c, const params& p) {
  std::puts("== exercise 6: ASHA over the CNN's learning rate and dropout");
  lagom::searchspace space;
  if (!check(lagom::searchspace::parse("lr: double [1e-4, 1e-2] log; dropout3: double [0.1, 0.7]",
                                       space), "searchspace"))
    return false;
  lagom::search_options so;
  so.optimizer = "asha";
  so.num_trials = static_cast<uint32_t>(p.number("trials"));
  so.metric = "test_accuracy";
  so.direction = "max";
  so.resource = "epochs";
  so.optimizer_settings.set("reduction_factor", 2.0);
  so.optimizer_settings.set("resource_min", 1.0);
  so.optimizer_settings.set("resource_max", p.number("trial_epochs"));
  so.workers = 2;      // each trial data-parallel on a gang of 2 containers
  so.containers = 1;   // one gang: trials one after another
  so.name = "workshop-asha";
  so.params.set("train_limit", p.number("trial_limit"));
  so.params.set("data", p.text("train_data"));
  lagom::search_watch watch;
  watch.on_progress = [](const lagom::search_progress& e) {
    if (e.kind == lagom::search_progress::trial_ended)
      std::printf("trial %u %s %s budget %g [%s]\n", e.trial->id, lagom::to_string(e.trial->status),
                  e.trial->has_value ? lagom::format_value(e.trial->value).c_str() : "-",
                  e.trial->budget, config_text(e.trial->config).c_str());
  };
  lagom::search_result r;
  if (!check(c.search("fashion_mnist_cnn", space, so, r, watch), "search"))
    return false;
  std::printf("search %s: %u trials, %u finished, %u stopped early, %u failed\n",
              r.experiment.c_str(), r.num_trials, r.finished, r.early_stopped, r.failed);
  if (r.has_best)
    std::printf("best: trial %u test_accuracy=%s [%s]\n", r.best.id,
                lagom::format_value(r.best.value).c_str(), config_text(r.best.config).c_str());
  return true;
}

bool experiments(lagom::cluster& c) {
  std::puts("== the experiments");
  std::vector<lagom::experiment_view> all;
  if (!check(c.list_experiments(all), "experiments"))
    return false;
  for (auto& e : all)
    std::printf("%-28s %-6s %-18s %-8s %zu runs\n", e.name.c_str(), e.kind.c_str(),
                e.function.c_str(), e.status.c_str(), e.runs.size());
  return true;
}

} // namespace

int main(int argc, char** argv) {
  std::string data_dir;
  params p;
  if (!parse_args(argc, argv, data_dir, p))
    return 2;
  lagom::embedded_options opts;  // 3 nodes of 2 cpus, the functions linked in
  opts.data_dir = data_dir;
  opts.log_level = "warn";       // as the lagom binary: only warnings and errors on stderr
  std::unique_ptr<lagom::cluster> c;
  if (!check(lagom::cluster::start_embedded(opts, c), "start"))
    return 1;
  bool ok = hello(*c) && features(*c, p) && train(*c, p) && search(*c, p) && experiments(*c);
  return ok ? 0 : 1;
}
