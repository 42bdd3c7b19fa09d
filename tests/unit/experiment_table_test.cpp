// storage::experiment_table: experiments, runs and metric series; input
// checks naming the field; reopen and kill -9 keep every commit whole.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "storage/encoding.hpp"
#include "storage/experiment_table.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::storage;

namespace {

struct fixture {
  test::temp_dir dir{"lagom-registry"};
  int64_t clock = 1000;
  experiment_table table;

  fixture() { reopen(); }

  void reopen() {
    table = experiment_table();
    table_options options;
    options.clock = [this] { return clock; };
    REQUIRE(experiment_table::open(dir / "registry", options, &table).is_ok());
  }

  experiment create(const std::string& name, experiment_kind kind = experiment_kind::search) {
    experiment_config config;
    config.function = "fashion_mnist_cnn";
    config.metric = "accuracy";
    config.hyperparameters.set("epochs", 2.0);
    experiment e;
    REQUIRE(table.create_experiment(name, kind, config, if_exists::fail, &e).is_ok());
    return e;
  }

  void add_run(uint64_t id, uint32_t run, run_status s, double lr) {
    run_record r;
    r.experiment_id = id;
    r.run = run;
    r.status = s;
    r.hyperparameters.set("lr", lr);
    REQUIRE(table.put_run(r).is_ok());
  }
};

std::vector<uint32_t> run_numbers(const std::vector<run_record>& runs) {
  std::vector<uint32_t> out;
  for (auto& r : runs)
    out.push_back(r.run);
  return out;
}
} // namespace

TEST_CASE("experiment_table: experiments round trip with increasing ids") {
  fixture f;
  experiment a = f.create("sweep-a");
  f.clock = 2000;
  experiment b = f.create("sweep b", experiment_kind::train);
  CHECK(a.id == 1);
  CHECK(b.id == 2);

  experiment got;
  REQUIRE(f.table.get_experiment("sweep b", &got).is_ok());
  CHECK(got.id == 2);
  CHECK(got.kind == experiment_kind::train);
  CHECK(got.status == experiment_status::running);
  CHECK(got.created_ms == 2000);
  CHECK(got.config.function == "fashion_mnist_cnn");
  CHECK(got.config.hyperparameters.number("epochs", 0) == 2.0);

  REQUIRE(f.table.set_experiment_status(1, experiment_status::finished).is_ok());
  std::vector<experiment> all;
  REQUIRE(f.table.list_experiments(&all).is_ok());
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "sweep-a");
  CHECK(all[0].status == experiment_status::finished);

  status st = f.table.get_experiment("nope", &got);
  CHECK(st.code() == errc::not_found);
  CHECK(st.where() == "nope");
  CHECK(f.table.get_experiment(9, &got).where() == "experiment id 9");
}

TEST_CASE("experiment_table: a taken name is refused by name unless resumed") {
  fixture f;
  experiment first = f.create("mnist");
  REQUIRE(f.table.set_experiment_status(first.id, experiment_status::failed).is_ok());
  experiment_config config;
  config.function = "fashion_mnist_cnn";
  config.metric = "accuracy";
  experiment e;
  status st = f.table.create_experiment("mnist", experiment_kind::search, config,
                                        if_exists::fail, &e);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "mnist");
  CHECK(st.message().find("exists") != std::string::npos);

  REQUIRE(f.table.create_experiment("mnist", experiment_kind::search, config, if_exists::resume,
                                    &e).is_ok());
  CHECK(e.id == first.id);
  CHECK(e.status == experiment_status::running);
  CHECK(e.config.hyperparameters.number("epochs", 0) == 2.0);  // the stored config

  config.function = "mlp";
  st = f.table.create_experiment("mnist", experiment_kind::search, config, if_exists::resume, &e);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.message() == "cannot resume: it is a search of function 'fashion_mnist_cnn'");
}

TEST_CASE("experiment_table: bad input is refused naming the field, and nothing is stored") {
  fixture f;
  experiment_config config;
  config.function = "fn";
  config.metric = "acc";
  experiment e;
  auto create = [&](const std::string& name, experiment_kind kind = experiment_kind::search) {
    return f.table.create_experiment(name, kind, config, if_exists::fail, &e);
  };
  CHECK(create("").where() == "name");
  CHECK(create("a/b").where() == "name");
  CHECK(create("tab\there").where() == "name");
  CHECK(create("..").where() == "name");
  CHECK(create(std::string(max_name_bytes + 1, 'x')).where() == "name");
  config.metric = "";
  CHECK(create("ok").where() == "config.metric");
  CHECK(create("ok", experiment_kind::train).is_ok());  // a train run needs no metric
  config.metric = "acc";
  config.function = "";
  CHECK(create("ok2").where() == "config.function");
  config.function = "fn";
  config.hyperparameters.set("bad\nname", 1.0);
  CHECK(create("ok2").where() == "config.hyperparameters");
  std::vector<experiment> all;
  REQUIRE(f.table.list_experiments(&all).is_ok());
  CHECK(all.size() == 1);

  f.add_run(e.id, 1, run_status::running, 0.1);
  CHECK(f.table.append_metric(e.id, 1, 0, "", 1.0).where() == "metric key");
  named_values text;
  text.set("acc", std::string("high"));
  CHECK(f.table.append_metrics(e.id, 1, 0, text).where() == "metrics.acc");
  run_update bad_node;
  bad_node.node = "";
  CHECK(f.table.update_run_status(e.id, 1, run_status::lost, bad_node).where() == "node");
  run_record orphan;
  orphan.experiment_id = 77;
  CHECK(f.table.put_run(orphan).where() == "experiment id 77");
}

TEST_CASE("experiment_table: a run's status moves, counting attempts and times") {
  fixture f;
  experiment e = f.create("sweep");
  f.add_run(e.id, 3, run_status::queued, 0.01);
  run_record r;
  run_update placed;
  placed.node = "node-1";
  placed.container = 17;
  f.clock = 5000;
  REQUIRE(f.table.update_run_status(e.id, 3, run_status::running, placed, &r).is_ok());
  CHECK(r.attempts == 1);
  CHECK(r.start_ms == 5000);
  CHECK(r.node == "node-1");

  run_update lost;
  lost.error = std::string(max_text_bytes + 100, 'e');  // clipped, not refused
  f.clock = 6000;
  REQUIRE(f.table.update_run_status(e.id, 3, run_status::lost, lost).is_ok());
  f.clock = 7000;
  REQUIRE(f.table.update_run_status(e.id, 3, run_status::running).is_ok());
  run_update done;
  done.final_metrics = named_values();
  done.final_metrics->set("accuracy", 0.9);
  f.clock = 9000;
  REQUIRE(f.table.update_run_status(e.id, 3, run_status::finished, done).is_ok());

  REQUIRE(f.table.get_run(e.id, 3, &r).is_ok());
  CHECK(r.status == run_status::finished);
  CHECK(r.attempts == 2);
  CHECK(r.start_ms == 5000);
  CHECK(r.end_ms == 9000);
  CHECK(r.error.size() == max_text_bytes);
  CHECK(r.container == 17);
  CHECK(r.final_metrics.number("accuracy", 0) == 0.9);
  CHECK(r.hyperparameters.number("lr", 0) == 0.01);

  status st = f.table.update_run_status(e.id, 3, run_status::running);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "sweep/3");
  CHECK(st.message() == "run is finished; it cannot become running");
  CHECK(f.table.update_run_status(e.id, 4, run_status::running).where() == "sweep/4");
}

TEST_CASE("experiment_table: a cancelled run keeps its status against a late lost or failed, and resumes") {
  fixture f;
  auto e = f.create("cancelled");
  f.add_run(e.id, 0, run_status::queued, 0.1);
  f.add_run(e.id, 1, run_status::queued, 0.1);
  f.add_run(e.id, 2, run_status::queued, 0.1);
  REQUIRE(f.table.update_run_status(e.id, 0, run_status::running).is_ok());
  run_update why;
  why.error = "cancelled: SIGTERM";
  REQUIRE(f.table.update_run_status(e.id, 0, run_status::cancelled, why).is_ok());
  for (run_status late : {run_status::lost, run_status::failed, run_status::finished}) {
    status st = f.table.update_run_status(e.id, 0, late);
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message() == std::string("run is cancelled; it cannot become ") + to_string(late));
  }
  run_record r;
  REQUIRE(f.table.get_run(e.id, 0, &r).is_ok());
  CHECK(r.status == run_status::cancelled);
  CHECK(r.error == "cancelled: SIGTERM");
  // `lagom resume` runs it again.
  REQUIRE(f.table.update_run_status(e.id, 0, run_status::running).is_ok());
  REQUIRE(f.table.get_run(e.id, 0, &r).is_ok());
  CHECK(r.status == run_status::running);
  CHECK(r.attempts == 2);

  // In a batch, the late change is dropped and the others are kept.
  REQUIRE(f.table.update_run_status(e.id, 1, run_status::running).is_ok());
  REQUIRE(f.table.update_run_status(e.id, 1, run_status::cancelled, why).is_ok());
  run_change late, other;
  late.experiment_id = other.experiment_id = e.id;
  late.run = 1;
  late.status = run_status::finished;
  other.run = 2;
  other.status = run_status::running;
  REQUIRE(f.table.apply_run_changes({late, other}).is_ok());
  REQUIRE(f.table.get_run(e.id, 1, &r).is_ok());
  CHECK(r.status == run_status::cancelled);
  REQUIRE(f.table.get_run(e.id, 2, &r).is_ok());
  CHECK(r.status == run_status::running);
}

TEST_CASE("experiment_table: a batch of run changes is one all-or-nothing transaction") {
  fixture f;
  auto e = f.create("search-1");
  std::vector<run_change> batch;
  for (uint32_t run = 0; run < 3; ++run) {
    run_change c;
    c.experiment_id = e.id;
    c.run = run;
    c.status = run_status::running;
    c.hyperparameters.set("lr", 0.1 * (run + 1));
    c.update.node = "node-1";
    batch.push_back(c);
  }
  run_change done;
  done.experiment_id = e.id;
  done.run = 1;
  done.status = run_status::finished;
  done.update.final_metrics = named_values{};
  done.update.final_metrics->set("accuracy", 0.5);
  batch.push_back(done);
  REQUIRE(f.table.apply_run_changes(batch).is_ok());

  std::vector<run_record> runs;
  REQUIRE(f.table.list_runs(e.id, &runs).is_ok());
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].status == run_status::running);
  CHECK(runs[0].attempts == 1);
  CHECK(runs[0].hyperparameters.number("lr", 0) == Approx(0.1));
  CHECK(runs[1].status == run_status::finished);
  CHECK(runs[1].final_metrics.number("accuracy", 0) == 0.5);
  CHECK(runs[1].end_ms == f.clock);

  // A change that says when it happened is stamped then, not when stored.
  run_change later;
  later.experiment_id = e.id;
  later.run = 0;
  later.status = run_status::finished;
  later.at_ms = f.clock - 250;
  REQUIRE(f.table.apply_run_changes({later}).is_ok());
  run_record r0;
  REQUIRE(f.table.get_run(e.id, 0, &r0).is_ok());
  CHECK(r0.end_ms == f.clock - 250);

  // A finished run moved back fails the whole batch: run 2's change is not kept.
  std::vector<run_change> bad(2);
  bad[0].experiment_id = e.id;
  bad[0].run = 2;
  bad[0].status = run_status::failed;
  bad[1].experiment_id = e.id;
  bad[1].run = 1;
  bad[1].status = run_status::running;
  status st = f.table.apply_run_changes(bad);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "search-1/1");
  REQUIRE(f.table.list_runs(e.id, &runs).is_ok());
  CHECK(runs[2].status == run_status::running);

  bad.resize(1);
  bad[0].experiment_id = 999;
  CHECK(f.table.apply_run_changes(bad).code() == errc::not_found);
}

TEST_CASE("experiment_table: runs list by number and metric series by step") {
  fixture f;
  experiment e = f.create("sweep");
  for (uint32_t run : {300u, 2u, 70000u})
    f.add_run(e.id, run, run_status::running, run / 1000.0);
  std::vector<run_record> runs;
  REQUIRE(f.table.list_runs(e.id, &runs).is_ok());
  CHECK(run_numbers(runs) == std::vector<uint32_t>{2, 300, 70000});

  for (uint64_t step : {20u, 0u, 10u, 300u})
    REQUIRE(f.table.append_metric(e.id, 2, step, "loss", 1.0 / (step + 1)).is_ok());
  REQUIRE(f.table.append_metric(e.id, 2, 10, "loss", 0.5).is_ok());  // reported again
  named_values both;
  both.set("acc", 0.7);
  both.set("train/loss", 0.3);
  REQUIRE(f.table.append_metrics(e.id, 2, 30, both).is_ok());

  std::vector<metric_point> series;
  REQUIRE(f.table.read_metric(e.id, 2, "loss", &series).is_ok());
  REQUIRE(series.size() == 4);
  CHECK(series[0].step == 0);
  CHECK(series[1].step == 10);
  CHECK(series[1].value == 0.5);
  CHECK(series[3].step == 300);
  CHECK(series[3].wall_ms == 1000);
  std::vector<std::string> keys;
  REQUIRE(f.table.metric_keys(e.id, 2, &keys).is_ok());
  CHECK(keys == std::vector<std::string>{"acc", "loss", "train/loss"});
  REQUIRE(f.table.read_metric(e.id, 300, "loss", &series).is_ok());
  CHECK(series.empty());
  CHECK(f.table.read_metric(e.id, 5, "loss", &series).where() == "sweep/5");
}

TEST_CASE("experiment_table: the best run by max and by min") {
  fixture f;
  experiment e = f.create("sweep");
  auto finish = [&](uint32_t run, run_status s, double acc) {
    f.add_run(e.id, run, run_status::running, 0.1);
    run_update u;
    u.final_metrics = named_values();
    u.final_metrics->set("accuracy", acc);
    REQUIRE(f.table.update_run_status(e.id, run, s, u).is_ok());
  };
  run_record best;
  double value = 0;
  CHECK(f.table.best_run(e.id, "accuracy", direction::max, &best).code() == errc::not_found);
  finish(1, run_status::finished, 0.80);
  finish(2, run_status::finished, 0.90);
  finish(3, run_status::finished, NAN);           // never wins
  finish(4, run_status::failed, 0.99);            // not finished: not counted
  finish(6, run_status::finished, 0.90);          // a tie: the lower run wins
  f.add_run(e.id, 5, run_status::running, 0.1);  // stopped early: its last point counts
  REQUIRE(f.table.append_metric(e.id, 5, 1, "accuracy", 0.95).is_ok());
  REQUIRE(f.table.append_metric(e.id, 5, 2, "accuracy", 0.60).is_ok());
  REQUIRE(f.table.update_run_status(e.id, 5, run_status::stopped_early).is_ok());
  REQUIRE(f.table.best_run(e.id, "accuracy", direction::max, &best, &value).is_ok());
  CHECK(best.run == 2);
  CHECK(value == 0.90);
  REQUIRE(f.table.best_run(e.id, "accuracy", direction::min, &best, &value).is_ok());
  CHECK(best.run == 5);
  CHECK(value == 0.60);
  status st = f.table.best_run(e.id, "loss", direction::min, &best);
  CHECK(st.code() == errc::not_found);
  CHECK(st.where() == "sweep");
}

TEST_CASE("experiment_table: closing and reopening keeps everything, ids are not reused") {
  fixture f;
  experiment e = f.create("kept");
  f.add_run(e.id, 1, run_status::running, 0.5);
  REQUIRE(f.table.append_metric(e.id, 1, 7, "loss", 0.25).is_ok());
  f.reopen();  // closes the environment, then opens it again
  experiment got;
  run_record r;
  REQUIRE(f.table.get_experiment("kept", &got).is_ok());
  REQUIRE(f.table.get_run(got.id, 1, &r).is_ok());
  CHECK(r.hyperparameters.number("lr", 0) == 0.5);
  std::vector<metric_point> series;
  REQUIRE(f.table.read_metric(got.id, 1, "loss", &series).is_ok());
  REQUIRE(series.size() == 1);
  CHECK(series[0].value == 0.25);
  CHECK(f.create("next").id == 2);
}

TEST_CASE("experiment_table: kill -9 while writing leaves whole commits only") {
  test::temp_dir dir{"lagom-registry"};
  uint64_t id = 0;
  {
    experiment_table table;
    REQUIRE(experiment_table::open(dir / "registry", {}, &table).is_ok());
    experiment_config config;
    config.function = "fn";
    experiment e;
    REQUIRE(table.create_experiment("crash", experiment_kind::train, config, if_exists::fail, &e)
              .is_ok());
    run_record r;
    r.experiment_id = id = e.id;
    REQUIRE(table.put_run(r).is_ok());
  }  // closed before fork: a child must not use its parent's LMDB environment
  // The child says (through a pipe) when it has committed 100 steps and
  // writes on; the parent kills it then, wherever it is in its next commit.
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    experiment_table table;
    if (!experiment_table::open(dir / "registry", {}, &table))
      _exit(2);
    named_values m;
    for (uint64_t step = 0;; ++step) {  // each commit: two metrics at one step
      m.set("a", double(step));
      m.set("b", double(step));
      if (!table.append_metrics(id, 0, step, m))
        _exit(3);
      if (step == 100 && ::write(ready[1], "r", 1) != 1)
        _exit(4);
    }
  }
  ::close(ready[1]);
  pollfd p{ready[0], POLLIN, 0};
  bool said = ::poll(&p, 1, 30000) == 1;  // bounded: a stuck child fails the test
  kill(child, SIGKILL);
  ::close(ready[0]);
  REQUIRE(said);
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  REQUIRE(WIFSIGNALED(wstatus));  // killed mid-write, not exited on an error
  experiment_table table;
  REQUIRE(experiment_table::open(dir / "registry", {}, &table).is_ok());
  std::vector<metric_point> a, b;
  REQUIRE(table.read_metric(id, 0, "a", &a).is_ok());
  REQUIRE(table.read_metric(id, 0, "b", &b).is_ok());
  CHECK(a.size() > 100);
  CHECK(a.size() == b.size());
  bool contiguous = true;  // steps 0..n-1: no commit half there, none lost
  for (size_t i = 0; i < a.size(); ++i)
    contiguous = contiguous && a[i].step == i;
  CHECK(contiguous);
  CHECK(table.append_metric(id, 0, a.size(), "a", 1.0).is_ok());  // still writable
}

TEST_CASE("experiment_table: a registry of another layout version is refused") {
  test::temp_dir dir{"lagom-registry"};
  {
    lmdb_env env;
    db_handle meta;
    REQUIRE(lmdb_env::open(dir / "registry", {}, &env).is_ok());
    REQUIRE(env.open_db("meta", &meta).is_ok());
    REQUIRE(env.update([&](write_txn& t) { return t.put(meta, "layout_version", be32(2)); })
              .is_ok());
  }
  experiment_table table;
  status st = experiment_table::open(dir / "registry", {}, &table);
  CHECK(st.code() == errc::io_error);
  CHECK(st.where() == "registry " + dir / "registry");
  CHECK(st.message() == "layout version 2; this build reads version 1");
}
