// launch_record: a launch's definition written as its experiment records it
// and read back as `lagom resume` does: resources and hyperparameters come
// back, the finished runs are kept with their metrics and only the others
// are to run again; a search, or an experiment recorded without a
// definition, is refused naming it.
#include "actors/launch_record.hpp"

#include <catch2/catch.hpp>

#include <capnp/message.h>

#include "wire/convert.hpp"

using namespace lagom;

namespace {

struct run_row {
  uint32_t run;
  schema::RunStatus status;
  uint32_t attempts;
  double loss; // its final metric
};

// An ExperimentInfo as the registry answers it, the definition from
// launch_definition().
void fill(schema::ExperimentInfo::Builder b, schema::ExperimentKind kind, const named_values& def,
          const std::vector<run_row>& runs) {
  b.setName("ddp-7");
  b.setKind(kind);
  b.setFunction("checkpointed");
  named_values hp;
  hp.set("lr", 0.05);
  wire::to_wire(b.initHyperparameters(static_cast<unsigned>(hp.size())), hp);
  wire::to_wire(b.initSearch(static_cast<unsigned>(def.size())), def);
  auto list = b.initRuns(static_cast<unsigned>(runs.size()));
  for (unsigned i = 0; i < runs.size(); ++i) {
    list[i].setRun(runs[i].run);
    list[i].setStatus(runs[i].status);
    list[i].setAttempts(runs[i].attempts);
    list[i].setNode("n" + std::to_string(runs[i].run));
    named_values m;
    m.set("loss", runs[i].loss);
    wire::to_wire(list[i].initFinalMetrics(static_cast<unsigned>(m.size())), m);
  }
}

launch_options recorded_options() {
  launch_options o;
  o.count = 3;
  o.cpus = 2;
  o.gpus = 1;
  o.memory_mb = 512;
  o.gang = false;
  o.spread = true;
  o.max_restarts = 5;
  return o;
}

} // namespace

TEST_CASE("a recorded launch reads back with only its unfinished runs to do", "[launch][resume]") {
  capnp::MallocMessageBuilder msg;
  auto b = msg.initRoot<schema::ExperimentInfo>();
  fill(b, schema::ExperimentKind::TRAIN, actors::launch_definition(recorded_options(), 3),
       {{0, schema::RunStatus::FINISHED, 1, 0.25},
        {1, schema::RunStatus::LOST, 2, 0.5},
        {2, schema::RunStatus::FAILED, 4, 0.75}});
  launch_options opts; // what `lagom resume ddp-7` starts from
  opts.name = "ddp-7";
  opts.resume = true;
  actors::recorded_launch rec;
  auto st = actors::read_recorded_launch(b.asReader(), "ddp-7", opts, rec);
  INFO(st.to_string());
  REQUIRE(st.is_ok());
  CHECK(rec.function == "checkpointed");
  CHECK(rec.world == 3);
  CHECK(rec.todo == std::vector<uint32_t>{1, 2});
  CHECK(opts.count == 3);
  CHECK(opts.cpus == 2);
  CHECK(opts.gpus == 1);
  CHECK(opts.memory_mb == 512);
  CHECK_FALSE(opts.gang);
  CHECK(opts.spread);
  CHECK(opts.max_restarts == 5);
  CHECK(opts.params.number("lr", 0) == 0.05);
  REQUIRE(rec.outcomes.size() == 3);
  CHECK(rec.outcomes[0].values.number("loss", -1) == 0.25); // kept as finished
  CHECK(rec.outcomes[1].attempts == 2);
  CHECK(rec.outcomes[2].node == "n2");
  CHECK(rec.outcomes[2].rank == 2);
  CHECK(rec.outcomes[2].experiment == "ddp-7");
}

TEST_CASE("a launch on all nodes resumes as many runs as were recorded", "[launch][resume]") {
  auto o = recorded_options();
  o.all = true;
  o.count = 0;
  capnp::MallocMessageBuilder msg;
  auto b = msg.initRoot<schema::ExperimentInfo>();
  fill(b, schema::ExperimentKind::TRAIN, actors::launch_definition(o, 2),
       {{0, schema::RunStatus::LOST, 1, 0}, {1, schema::RunStatus::FINISHED, 1, 0}});
  launch_options opts;
  actors::recorded_launch rec;
  REQUIRE(actors::read_recorded_launch(b.asReader(), "ddp-7", opts, rec).is_ok());
  CHECK(rec.world == 2);
  CHECK(opts.count == 2);
  CHECK(rec.todo == std::vector<uint32_t>{0});
}

TEST_CASE("a search, or a launch recorded without its definition, is not resumed as a launch",
          "[launch][resume]") {
  launch_options opts;
  actors::recorded_launch rec;
  {
    capnp::MallocMessageBuilder msg;
    auto b = msg.initRoot<schema::ExperimentInfo>();
    fill(b, schema::ExperimentKind::SEARCH, actors::launch_definition(recorded_options(), 3), {});
    auto st = actors::read_recorded_launch(b.asReader(), "ddp-7", opts, rec);
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.to_string().find("it is a search: resume it as one") != std::string::npos);
    CHECK(st.to_string().find("ddp-7") != std::string::npos);
  }
  {
    capnp::MallocMessageBuilder msg;
    auto b = msg.initRoot<schema::ExperimentInfo>();
    fill(b, schema::ExperimentKind::TRAIN, named_values{}, {});
    auto st = actors::read_recorded_launch(b.asReader(), "ddp-7", opts, rec);
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.to_string().find("recorded without its launch definition") != std::string::npos);
  }
}
