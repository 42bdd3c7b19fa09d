// Shared storage (--shared-data): a node stages a checkpoint file in the
// run's directory (storage::checkpoint_store::stage) and asks the head's
// checkpointer to commit it, sending no payload. The commit is refused for
// a fenced epoch, and a refused or corrupt staged file never becomes a
// checkpoint; a live one's lands and is what a load finds.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "actor_env.hpp"
#include "actors/services.hpp"
#include "schemas/experiment.capnp.h"
#include "storage/checkpoint_store.hpp"
#include "supervision/membership.hpp"
#include "temp_dir.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/read.hpp"

using namespace lagom;

namespace {

wire::frame commit_frame(uint64_t step, const std::string& staged, uint64_t epoch) {
  auto f = wire::build<schema::CheckpointSave>([&](schema::CheckpointSave::Builder b) {
    b.setExperiment("shared-exp");
    b.setRun(0);
    b.setStep(step);
    b.setStaged(staged);
  });
  f.set_epoch(epoch);
  return f;
}

struct fixture {
  test::temp_dir data{"lagom-shared-ckpt"};
  test::temp_dir head_own{"lagom-shared-head"};
  test::actor_env env;
  std::shared_ptr<supervision::membership> members =
    std::make_shared<supervision::membership>(4343);
  actors::service_handles s;
  uint64_t live = 0, stale = 0;
  storage::checkpoint_store node_side;

  fixture() {
    // The head's registry on its own directory, its checkpoints on the shared one.
    REQUIRE(actors::spawn_services(env.sys(), head_own.path(), s, members, data.path()).is_ok());
    env.keep(s.registry);
    env.keep(s.checkpointer);
    env.keep(s.logs);
    stale = members->admit("node-a");
    live = members->admit("node-b");
    members->fence(stale, "no heartbeat for 1000 ms");
    REQUIRE(storage::checkpoint_store::open(data.path(), "shared-exp", 0, {}, &node_side)
              .is_ok());
  }

  std::string stage(uint64_t step, const std::string& payload, const std::string& tag) {
    std::string name;
    REQUIRE(node_side.stage(step, payload, {}, tag, &name).is_ok());
    REQUIRE(std::filesystem::exists(node_side.dir() + "/" + name));
    return name;
  }
};

} // namespace

TEST_CASE("a staged checkpoint of a live epoch is committed by the checkpointer without its bytes") {
  fixture fx;
  auto name = fx.stage(3, "weights of step 3", "node-b-1");
  // Not a checkpoint before the commit: nothing reads a staged file.
  storage::checkpoint ck;
  CHECK(fx.node_side.load_latest(&ck).code() == errc::not_found);
  wire::frame reply;
  REQUIRE(fx.env.ask(fx.s.checkpointer, reply, atoms::save::value,
                     commit_frame(3, name, fx.live))
            .is_ok());
  wire::read<schema::CheckpointSaved>(reply, [&](schema::CheckpointSaved::Reader r) {
    CHECK(r.getStep() == 3);
    CHECK(r.getBytes() == std::string("weights of step 3").size());
    return status::ok();
  });
  CHECK_FALSE(std::filesystem::exists(fx.node_side.dir() + "/" + name));
  REQUIRE(fx.node_side.load_latest(&ck).is_ok());
  CHECK(ck.info.step == 3);
  CHECK(ck.payload == "weights of step 3");
  // The head's own data directory holds no checkpoint: they live on the shared one.
  CHECK_FALSE(std::filesystem::exists(fx.head_own.path() + "/checkpoints/shared-exp"));
}

TEST_CASE("a fenced node's staged checkpoint is refused and never becomes visible") {
  fixture fx;
  wire::frame reply;
  REQUIRE(fx.env.ask(fx.s.checkpointer, reply, atoms::save::value,
                     commit_frame(5, fx.stage(5, "live 5", "node-b-1"), fx.live))
            .is_ok());
  // The stale node writes a newer step, and the same step, directly.
  for (uint64_t step : {6, 5}) {
    auto name = fx.stage(step, "stale " + std::to_string(step), "node-a-1");
    auto st = fx.env.ask(fx.s.checkpointer, reply, atoms::save::value,
                         commit_frame(step, name, fx.stale));
    REQUIRE_FALSE(st);
    CHECK(st.code() == errc::fenced);
    CHECK(st.where() == "checkpointer: save");
    CHECK(st.message().find("node-a") != std::string::npos);
    // Still staged (the node discards it), never renamed into place.
    CHECK(std::filesystem::exists(fx.node_side.dir() + "/" + name));
    fx.node_side.discard(name);
  }
  storage::checkpoint ck;
  REQUIRE(fx.node_side.load_latest(&ck).is_ok());
  CHECK(ck.info.step == 5);
  CHECK(ck.payload == "live 5");
  std::vector<uint64_t> steps;
  REQUIRE(fx.node_side.steps(&steps).is_ok());
  CHECK(steps == std::vector<uint64_t>{5});
}

TEST_CASE("a commit naming a missing, foreign or corrupt staged file is refused naming it") {
  fixture fx;
  wire::frame reply;
  auto missing = fx.env.ask(fx.s.checkpointer, reply, atoms::save::value,
                            commit_frame(2, "stage-2-elsewhere-9.staged", fx.live));
  CHECK(missing.code() == errc::not_found);
  CHECK(missing.where().find("stage-2-elsewhere-9.staged") != std::string::npos);
  auto escape = fx.env.ask(fx.s.checkpointer, reply, atoms::save::value,
                           commit_frame(2, "../../../registry/data.mdb", fx.live));
  CHECK(escape.code() == errc::invalid_argument);
  CHECK(escape.where() == "staged");
  auto wrong_step = fx.stage(4, "four", "node-b-1");
  CHECK(fx.env.ask(fx.s.checkpointer, reply, atoms::save::value,
                   commit_frame(7, wrong_step, fx.live))
          .code() == errc::invalid_argument);
  // A staged file cut short (a node that died mid-write) is io_error and removed.
  auto cut = fx.stage(8, std::string(4096, 'x'), "node-b-1");
  std::filesystem::resize_file(fx.node_side.dir() + "/" + cut, 100);
  auto corrupt = fx.env.ask(fx.s.checkpointer, reply, atoms::save::value,
                            commit_frame(8, cut, fx.live));
  CHECK(corrupt.code() == errc::io_error);
  INFO(corrupt.to_string());
  CHECK(corrupt.to_string().find("corrupt checkpoint") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(fx.node_side.dir() + "/" + cut));
  storage::checkpoint ck;
  CHECK(fx.node_side.load_latest(&ck).code() == errc::not_found);
}

TEST_CASE("a commit sweeps the staged files of older steps a killed writer left") {
  fixture fx;
  auto orphan = fx.stage(2, "half a save of a killed node", "node-a-9");
  auto newer = fx.stage(5, "a staged step 5 still in flight", "node-c-3");
  auto name = fx.stage(4, "weights of step 4", "node-b-1");
  wire::frame reply;
  REQUIRE(fx.env.ask(fx.s.checkpointer, reply, atoms::save::value,
                     commit_frame(4, name, fx.live))
            .is_ok());
  CHECK_FALSE(std::filesystem::exists(fx.node_side.dir() + "/" + orphan));
  CHECK(std::filesystem::exists(fx.node_side.dir() + "/" + newer)); // newer: kept
  storage::checkpoint ck;
  REQUIRE(fx.node_side.load_latest(&ck).is_ok());
  CHECK(ck.info.step == 4);
}
