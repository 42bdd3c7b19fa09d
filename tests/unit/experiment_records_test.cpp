// storage::experiment_records: value layouts round trip; bad bytes are named.
#include <catch2/catch.hpp>

#include <string>

#include "storage/encoding.hpp"
#include "storage/experiment_records.hpp"

using namespace lagom;
using namespace lagom::storage;

namespace {

experiment sample_experiment() {
  experiment e;
  e.id = 42;
  e.name = "mnist lr sweep";
  e.kind = experiment_kind::search;
  e.status = experiment_status::finished;
  e.created_ms = 1700000000123;
  e.config.function = "fashion_mnist_cnn";
  e.config.hyperparameters.set("epochs", 3.0);
  e.config.hyperparameters.set("optimizer", std::string("adam"));
  e.config.metric = "accuracy";
  e.config.dir = direction::min;
  e.config.search.set("space", std::string("lr: double [0.0001, 0.1] log"));
  e.config.search.set("trials", 40.0);
  return e;
}

run_record sample_run() {
  run_record r;
  r.experiment_id = 42;
  r.run = 7;
  r.status = run_status::stopped_early;
  r.hyperparameters.set("lr", 0.003);
  r.start_ms = 10;
  r.end_ms = 20;
  r.node = "node-2";
  r.container = 99;
  r.attempts = 2;
  r.error = "lost node-1";
  r.final_metrics.set("accuracy", 0.91);
  return r;
}

} // namespace

TEST_CASE("experiment_records: an experiment round trips") {
  experiment back;
  REQUIRE(decode(encode(sample_experiment()), "x", &back).is_ok());
  auto e = sample_experiment();
  CHECK(back.id == e.id);
  CHECK(back.name == e.name);
  CHECK(back.kind == e.kind);
  CHECK(back.status == e.status);
  CHECK(back.created_ms == e.created_ms);
  CHECK(back.config.function == e.config.function);
  CHECK(back.config.hyperparameters.text("optimizer", "") == "adam");
  CHECK(back.config.hyperparameters.number("epochs", 0) == 3.0);
  CHECK(back.config.metric == "accuracy");
  CHECK(back.config.dir == direction::min);
}

TEST_CASE("experiment_records: the search definition round trips, and version 1 reads without it") {
  experiment back;
  REQUIRE(decode(encode(sample_experiment()), "x", &back).is_ok());
  CHECK(back.config.search.text("space", "") == "lr: double [0.0001, 0.1] log");
  CHECK(back.config.search.number("trials", 0) == 40);

  // A version 1 record is the version 2 one without its last field.
  auto e = sample_experiment();
  e.config.search = named_values{};
  std::string v1 = encode(e);
  v1.resize(v1.size() - 4);  // an empty named_values is its u32 count
  v1[0] = 1;
  experiment old;
  status st = decode(v1, "x", &old);
  INFO(st.to_string());
  REQUIRE(st.is_ok());
  CHECK(old.config.search.empty());
  CHECK(old.config.metric == "accuracy");
  v1[0] = 3;
  CHECK(decode(v1, "x", &old).message() ==
        "unsupported experiment record version 3 (this build reads version 1 to 2)");
}

TEST_CASE("experiment_records: a run and a metric point round trip") {
  run_record back;
  REQUIRE(decode(encode(sample_run()), "x", &back).is_ok());
  CHECK(back.experiment_id == 42);
  CHECK(back.run == 7);
  CHECK(back.status == run_status::stopped_early);
  CHECK(back.hyperparameters.number("lr", 0) == 0.003);
  CHECK(back.start_ms == 10);
  CHECK(back.end_ms == 20);
  CHECK(back.node == "node-2");
  CHECK(back.container == 99);
  CHECK(back.attempts == 2);
  CHECK(back.error == "lost node-1");
  CHECK(back.final_metrics.number("accuracy", 0) == 0.91);

  metric_point p{5, -1.5, 123}, q;
  REQUIRE(decode(encode(p), "x", &q).is_ok());
  CHECK(q.value == -1.5);
  CHECK(q.wall_ms == 123);
}

TEST_CASE("experiment_records: another version is refused with both versions named") {
  std::string bytes = encode(sample_run());
  bytes[0] = 2;
  run_record back;
  status st = decode(bytes, "runs/42/7", &back);
  CHECK(st.code() == errc::io_error);
  CHECK(st.where() == "runs/42/7");
  CHECK(st.message() == "unsupported run record version 2 (this build reads version 1)");
}

TEST_CASE("experiment_records: truncated, padded or out-of-range bytes are corrupt") {
  std::string bytes = encode(sample_experiment());
  experiment back;
  status st = decode(bytes.substr(0, bytes.size() - 1), "e", &back);
  CHECK(st.code() == errc::io_error);
  CHECK(st.message() == "corrupt record: experiment is short or out of range");
  st = decode(bytes + "x", "e", &back);
  CHECK(st.message() == "corrupt record: experiment has bytes past its last field");
  CHECK(decode("", "e", &back).code() == errc::io_error);

  std::string run = encode(sample_run());
  run[1 + 8 + 4] = 7;  // the status byte: no run_status 7 (6 is cancelled)
  run_record r;
  CHECK(decode(run, "r", &r).message() == "corrupt record: run is short or out of range");
}

TEST_CASE("experiment_records: final and ended statuses") {
  CHECK(is_final(run_status::finished));
  CHECK(is_final(run_status::stopped_early));
  CHECK_FALSE(is_final(run_status::failed));
  CHECK(has_ended(run_status::lost));
  CHECK(has_ended(run_status::cancelled));
  CHECK_FALSE(is_final(run_status::cancelled));
  CHECK_FALSE(has_ended(run_status::running));
  CHECK(std::string(to_string(run_status::stopped_early)) == "stopped_early");
  CHECK(std::string(to_string(experiment_kind::search)) == "search");
}

TEST_CASE("experiment_records: a run status is found by its name, and only by it") {
  for (auto v : {run_status::queued, run_status::running, run_status::finished,
                 run_status::failed, run_status::stopped_early, run_status::lost,
                 run_status::cancelled}) {
    run_status got = run_status::queued;
    REQUIRE(run_status_named(to_string(v), &got));
    CHECK(got == v);
  }
  run_status kept = run_status::lost;
  CHECK_FALSE(run_status_named("Finished", &kept));
  CHECK_FALSE(run_status_named("", &kept));
  CHECK(kept == run_status::lost);
}
