// The experiment faces: `lagom experiments`, `lagom show`, `lagom logs` (and
// the shell's commands of the same names) on a --data directory, embedded or
// through a head (--connect), and the C++ API's experiment calls. The data
// is seeded by sending frames to a registry and a log aggregator spawned in
// this process, which are stopped (closing LMDB) before lagom opens the
// directory. Every lagom here gets --data: ~/.lagom is never touched.
#include <catch2/catch.hpp>

#include <csignal>
#include <regex>

#include "../unit/actor_env.hpp"
#include "actors/experiment_registry.hpp"
#include "actors/log_aggregator.hpp"
#include "child_process.hpp"
#include "lagom/lagom.hpp"
#include "schemas/experiment.capnp.h"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/read.hpp"

using namespace lagom;
using namespace lagom::test;
using namespace std::chrono_literals;

namespace {

const std::string lagom_bin = LAGOM_BINARY;

run_result lagom_cli(const std::string& data, std::vector<std::string> args,
                     const std::string& input = "") {
  args.insert(args.begin(), {lagom_bin, "--data", data});
  return run(args, input);
}

named_values values(std::initializer_list<std::pair<const char*, double>> kv) {
  named_values out;
  for (auto& [k, v] : kv)
    out.set(k, v);
  return out;
}

// Two experiments: a search with four runs (two finished, one failed, one
// running), metrics and logs; a training with one finished run.
void seed(const std::string& data) {
  actor_env env;
  caf::actor registry;
  REQUIRE(actors::spawn_experiment_registry(env.sys(), data, registry).is_ok());
  env.keep(registry);
  auto logs = env.keep(actors::spawn_log_aggregator(env.sys(), data));
  auto create = [&](const std::string& name, schema::ExperimentKind kind) {
    auto f = wire::build<schema::ExperimentCreate>([&](schema::ExperimentCreate::Builder b) {
      b.setName(name);
      b.setKind(kind);
      b.setFunction("mnist");
      wire::to_wire(b.initHyperparameters(1), values({{"epochs", 3}}));
      if (kind == schema::ExperimentKind::SEARCH)
        b.setMetric("accuracy");
    });
    uint64_t id = 0;
    wire::frame reply;
    REQUIRE(env.ask(registry, reply, atoms::create::value, f).is_ok());
    REQUIRE(wire::read<schema::ExperimentInfo>(reply, [&](schema::ExperimentInfo::Reader r) {
      id = r.getId();
      return status::ok();
    }).is_ok());
    return id;
  };
  auto update = [&](uint64_t id, uint32_t run, schema::RunStatus s, const std::string& node,
                    const named_values& hp, const named_values& final_metrics = {},
                    const std::string& error = "") {
    auto f = wire::build<schema::RunUpdate>([&](schema::RunUpdate::Builder b) {
      b.setExperimentId(id);
      b.setRun(run);
      b.setStatus(s);
      wire::to_wire(b.initHyperparameters(static_cast<unsigned>(hp.size())), hp);
      b.setNode(node);
      b.setError(error);
      wire::to_wire(b.initFinalMetrics(static_cast<unsigned>(final_metrics.size())),
                    final_metrics);
    });
    REQUIRE(env.tell(registry, atoms::run_update::value, f).is_ok());
  };
  auto log = [&](uint32_t run, int64_t wall_ms, const std::string& message) {
    auto f = wire::build<schema::LogRecord>([&](schema::LogRecord::Builder b) {
      b.setExperiment("mnist-search");
      b.setRun(run);
      b.setLevel("info");
      b.setWallMs(wall_ms);
      b.setNode("node-" + std::to_string(run));
      b.setMessage(message);
    });
    REQUIRE(env.tell(logs, atoms::log::value, f).is_ok());
  };
  uint64_t search = create("mnist-search", schema::ExperimentKind::SEARCH);
  for (uint32_t run = 1; run <= 4; ++run)
    update(search, run, schema::RunStatus::RUNNING, "node-" + std::to_string(run),
           values({{"lr", 0.001 * run}}));
  update(search, 1, schema::RunStatus::FINISHED, "", {}, values({{"accuracy", 0.91}}));
  update(search, 2, schema::RunStatus::FINISHED, "", {}, values({{"accuracy", 0.93}}));
  update(search, 3, schema::RunStatus::FAILED, "", {}, {}, "disk on fire");
  for (uint64_t step = 1; step <= 3; ++step) {
    auto f = wire::build<schema::MetricReport>([&](schema::MetricReport::Builder b) {
      b.setExperimentId(search);
      b.setRun(1);
      b.setStep(step);
      wire::to_wire(b.initMetrics(1), values({{"loss", 1.0 / double(step)}}));
    });
    REQUIRE(env.tell(registry, atoms::metrics::value, f).is_ok());
  }
  log(1, 1714564801000, "epoch 1 of run one");
  log(1, 1714564803000, "run one done");
  log(2, 1714564802000, "epoch 1 of run two");
  uint64_t train = create("train-once", schema::ExperimentKind::TRAIN);
  update(train, 0, schema::RunStatus::RUNNING, "node-1", {});
  update(train, 0, schema::RunStatus::FINISHED, "", {},
         values({{"loss", 0.25}, {"accuracy", 0.875}, {"seconds", 12}}));
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("experiments on an empty data directory lists none", "[cli][experiments]") {
  temp_dir d;
  auto r = lagom_cli(d.path() + "/data", {"experiments"});
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(has(r.output, "no experiments yet"));
}

TEST_CASE("show and logs of an unknown experiment fail naming it", "[cli][experiments]") {
  temp_dir d;
  auto show = lagom_cli(d.path(), {"show", "nope"});
  INFO(show.output);
  CHECK(show.code == 1);
  CHECK(has(show.output, "lagom show: nope: no such experiment"));
  auto logs = lagom_cli(d.path(), {"logs", "nope"});
  INFO(logs.output);
  CHECK(logs.code == 1);
  CHECK(has(logs.output, "lagom logs: nope: no such experiment"));
  auto bad = lagom_cli(d.path(), {"logs", "../x"});
  CHECK(bad.code == 1);
  CHECK(has(bad.output, "experiment: '../x'"));
}

TEST_CASE("experiments, show and logs print what the registry and the logs hold",
          "[cli][experiments]") {
  temp_dir d;
  seed(d.path());
  auto list = lagom_cli(d.path(), {"experiments"});
  INFO(list.output);
  REQUIRE(list.code == 0);
  CHECK(std::regex_search(list.output,
                          std::regex("NAME +KIND +FUNCTION +STATUS +RUNS +CREATED +BEST / LAST")));
  CHECK(std::regex_search(list.output, std::regex("mnist-search +search +mnist +running +4 +")));
  CHECK(has(list.output, "accuracy=0.93 (run 2)"));
  // One value in the last column, not every metric: the first, and how many more.
  CHECK(std::regex_search(list.output,
                          std::regex("train-once +train +mnist +running +1 +.* ago +loss=0.25 \\+2 more *\n")));

  auto show = lagom_cli(d.path(), {"show", "mnist-search"});
  INFO(show.output);
  REQUIRE(show.code == 0);
  CHECK(has(show.output, "experiment mnist-search (id 1): search of 'mnist', running"));
  CHECK(has(show.output, "metric: accuracy (max)"));
  CHECK(has(show.output, "hyperparameters: epochs=3"));
  CHECK(std::regex_search(
    show.output, std::regex("RUN +STATUS +NODE +ATTEMPTS +TIME +HYPERPARAMETERS +FINAL METRICS +ERROR")));
  CHECK(std::regex_search(show.output,
                          std::regex("\n +2 +finished +node-2 +1 +[0-9.]+ m?s +lr=0.002 +accuracy=0.93 +-\n")));
  CHECK(std::regex_search(show.output,
                          std::regex("\n +3 +failed +node-3 +1 .*lr=0.003 +- +disk on fire\n")));
  CHECK(std::regex_search(show.output, std::regex("\n +4 +running +node-4 ")));

  auto logs = lagom_cli(d.path(), {"logs", "mnist-search"});
  INFO(logs.output);
  REQUIRE(logs.code == 0);
  CHECK(has(logs.output, "2024-05-01T12:00:01.000Z info run 1 node-1 epoch 1 of run one\n"
                         "2024-05-01T12:00:03.000Z info run 1 node-1 run one done\n"
                         "2024-05-01T12:00:02.000Z info run 2 node-2 epoch 1 of run two\n"));
  auto tail = lagom_cli(d.path(), {"logs", "mnist-search", "1", "--tail", "1"});
  INFO(tail.output);
  REQUIRE(tail.code == 0);
  CHECK(has(tail.output, "run one done"));
  CHECK_FALSE(has(tail.output, "epoch 1"));
  auto quiet = lagom_cli(d.path(), {"logs", "train-once"});
  CHECK(quiet.code == 0);
  CHECK(has(quiet.output, "no log records of train-once yet"));
}

TEST_CASE("the shell speaks experiments, show and logs", "[cli][experiments][shell]") {
  temp_dir d;
  seed(d.path());
  auto r = lagom_cli(d.path(), {"shell", "--nodes", "1"},
                     "experiments\nshow train-once\nlogs mnist-search 2 tail=5\nshow nope\n"
                     "help logs\n");
  INFO(r.output);
  CHECK(r.code == 1);  // the unknown experiment
  CHECK(has(r.output, "mnist-search"));
  CHECK(has(r.output, "experiment train-once (id 2): train of 'mnist'"));
  CHECK(has(r.output, "run 2 node-2 epoch 1 of run two"));
  CHECK(has(r.output, "error: nope: no such experiment"));
  CHECK(has(r.output, "logs EXPERIMENT [RUN] [tail=N]"));
}

TEST_CASE("through a head, a client reads the head's registry and logs", "[cli][experiments]") {
  temp_dir d;
  seed(d.path() + "/head");
  auto head = child_process::start({lagom_bin, "--data", d.path() + "/head", "head", "--listen",
                                    "127.0.0.1:0", "--token", "t"});
  REQUIRE(head->wait_for("(registry, checkpoints, logs)", 10s));
  std::smatch m;
  std::string out = head->output();
  REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
  CHECK(has(out, "data in " + d.path() + "/head"));
  std::string address = m[1];
  auto list = lagom_cli(d.path() + "/client", {"experiments", "--connect", address, "--token", "t"});
  INFO(list.output);
  CHECK(list.code == 0);
  CHECK(has(list.output, "accuracy=0.93 (run 2)"));
  auto logs = lagom_cli(d.path() + "/client", {"logs", "mnist-search", "--connect", address, "--token", "t"});
  INFO(logs.output);
  CHECK(logs.code == 0);
  CHECK(has(logs.output, "run one done"));
  auto nope = lagom_cli(d.path() + "/client", {"show", "nope", "--connect", address, "--token", "t"});
  CHECK(nope.code == 1);
  CHECK(has(nope.output, "nope: no such experiment"));
  head->signal(SIGTERM);
  auto code = head->wait_exit(10s);
  INFO(head->output());
  REQUIRE(code.has_value());
  // The seeded experiments still read running: the stop cut them off.
  CHECK(*code == 128 + SIGTERM);
  CHECK(has(head->output(), "recorded cancelled (the head got SIGTERM)"));
}

TEST_CASE("the C++ API reads experiments, metric series and logs", "[experiments][api]") {
  temp_dir d;
  seed(d.path());
  embedded_options o;
  o.nodes = 1;
  o.data_dir = d.path();
  std::unique_ptr<cluster> c;
  REQUIRE(cluster::start_embedded(o, c).is_ok());
  std::vector<experiment_view> all;
  REQUIRE(c->list_experiments(all).is_ok());
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "mnist-search");
  CHECK(all[0].kind == "search");
  CHECK(all[0].direction == "max");
  CHECK(all[0].runs.size() == 4);
  CHECK(all[1].kind == "train");
  experiment_view e;
  REQUIRE(c->experiment("mnist-search", e).is_ok());
  REQUIRE(e.runs.size() == 4);
  CHECK(e.runs[2].status == run_status::failed);
  CHECK(e.runs[2].error == "disk on fire");
  CHECK(e.runs[0].final_metrics.number("accuracy", 0) == 0.91);
  CHECK(e.runs[3].status == run_status::running);
  CHECK(e.runs[3].attempts == 1);
  CHECK(c->experiment("nope", e).code() == errc::not_found);
  std::vector<metric_point> loss;
  REQUIRE(c->metric_series("mnist-search", 1, "loss", loss).is_ok());
  REQUIRE(loss.size() == 3);
  CHECK(loss[1].step == 2);
  CHECK(loss[1].value == 0.5);
  CHECK(c->metric_series("mnist-search", 9, "loss", loss).where() == "mnist-search/9");
  CHECK(c->metric_series("mnist-search", 1, "", loss).where() == "metric key");
  std::vector<log_line> lines;
  REQUIRE(c->logs("mnist-search", std::nullopt, 2, lines).is_ok());
  REQUIRE(lines.size() == 2);  // the newest two by time, by run
  CHECK(lines[0].message == "run one done");
  CHECK(lines[1].run == 2);
  CHECK(lines[1].node == "node-2");
  REQUIRE(c->logs("mnist-search", 2u, 0, lines).is_ok());
  CHECK(lines.size() == 1);
  CHECK(c->logs("train-once", std::nullopt, 0, lines).code() == errc::not_found);
}
