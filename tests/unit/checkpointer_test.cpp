// actors::checkpointer through its messages: save and load back, a run with
// no checkpoint, retention of the newest K, a corrupt newest file passed over
// and named, bad names and malformed frames refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "actor_env.hpp"
#include "actors/checkpointer.hpp"
#include "schemas/experiment.capnp.h"
#include "temp_dir.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/read.hpp"

using namespace lagom;
namespace fs = std::filesystem;

namespace {

struct loaded {
  bool found = false;
  uint64_t step = 0;
  std::string payload;
  named_values metadata;
  std::vector<std::string> skipped;
};

struct fixture {
  test::temp_dir data{"lagom-ckpt-actor"};
  test::actor_env env;
  caf::actor ckpt;

  explicit fixture(uint32_t keep_last = 3)
    : ckpt(env.keep(actors::spawn_checkpointer(env.sys(), data.path(), keep_last))) {}

  status save(const std::string& exp, uint32_t run, uint64_t step, const std::string& payload,
              std::string* path = nullptr) {
    auto f = wire::build<schema::CheckpointSave>([&](schema::CheckpointSave::Builder b) {
      b.setExperiment(exp);
      b.setRun(run);
      b.setStep(step);
      b.setPayload(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(payload.data()),
                                payload.size()));
      named_values meta;
      meta.set("epoch", double(step));
      wire::to_wire(b.initMetadata(1), meta);
    });
    wire::frame reply;
    auto st = env.ask(ckpt, reply, atoms::save::value, f);
    if (!st)
      return st;
    return wire::read<schema::CheckpointSaved>(reply, [&](schema::CheckpointSaved::Reader r) {
      CHECK(r.getStep() == step);
      CHECK(r.getBytes() == payload.size());
      if (path != nullptr)
        *path = r.getPath().cStr();
      return status::ok();
    });
  }

  status load(const std::string& exp, uint32_t run, loaded& out) {
    auto f = wire::build<schema::CheckpointLoad>([&](schema::CheckpointLoad::Builder b) {
      b.setExperiment(exp);
      b.setRun(run);
    });
    wire::frame reply;
    auto st = env.ask(ckpt, reply, atoms::load::value, f);
    if (!st)
      return st;
    return wire::read<schema::CheckpointData>(reply, [&](schema::CheckpointData::Reader r) {
      out.found = r.getFound();
      out.step = r.getStep();
      auto p = r.getPayload();
      out.payload.assign(reinterpret_cast<const char*>(p.begin()), p.size());
      out.metadata = wire::from_wire(r.getMetadata());
      for (auto s : r.getSkipped())
        out.skipped.emplace_back(s.cStr());
      return status::ok();
    });
  }

  std::string run_dir(const std::string& exp, uint32_t run) const {
    return data.path() + "/checkpoints/" + exp + "/" + std::to_string(run);
  }
};

} // namespace

TEST_CASE("a checkpoint saved through the actor loads back whole", "[checkpointer]") {
  fixture fx;
  std::string payload("weights\0with\0zeros", 18);
  std::string path;
  REQUIRE(fx.save("mnist", 2, 100, payload, &path).is_ok());
  CHECK(path == fx.run_dir("mnist", 2) + "/ckpt-100.lgck");
  CHECK(fs::exists(path));
  loaded l;
  REQUIRE(fx.load("mnist", 2, l).is_ok());
  CHECK(l.found);
  CHECK(l.step == 100);
  CHECK(l.payload == payload);
  CHECK(l.metadata.number("epoch", 0) == 100);
  CHECK(l.skipped.empty());
}

TEST_CASE("a run with no checkpoint loads as not found, and no directory is made",
          "[checkpointer]") {
  fixture fx;
  loaded l;
  REQUIRE(fx.load("fresh", 0, l).is_ok());
  CHECK_FALSE(l.found);
  CHECK_FALSE(fs::exists(fx.data.path() + "/checkpoints/fresh"));
}

TEST_CASE("retention keeps the newest checkpoints", "[checkpointer]") {
  fixture fx{2};
  for (uint64_t step = 1; step <= 4; ++step)
    REQUIRE(fx.save("r", 0, step, "w" + std::to_string(step)).is_ok());
  std::vector<std::string> files;
  for (auto& e : fs::directory_iterator(fx.run_dir("r", 0)))
    files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"ckpt-3.lgck", "ckpt-4.lgck"});
  loaded l;
  REQUIRE(fx.load("r", 0, l).is_ok());
  CHECK(l.step == 4);
  CHECK(l.payload == "w4");
}

TEST_CASE("a corrupt newest checkpoint is passed over and named", "[checkpointer]") {
  fixture fx;
  REQUIRE(fx.save("c", 1, 10, "good weights").is_ok());
  std::string bad;
  REQUIRE(fx.save("c", 1, 20, "newer weights", &bad).is_ok());
  {
    std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('X');
  }
  loaded l;
  REQUIRE(fx.load("c", 1, l).is_ok());
  CHECK(l.found);
  CHECK(l.step == 10);
  CHECK(l.payload == "good weights");
  REQUIRE(l.skipped.size() == 1);
  CHECK(l.skipped[0].find(bad) != std::string::npos);
}

TEST_CASE("bad names and malformed frames are refused naming the problem", "[checkpointer]") {
  fixture fx;
  for (const std::string& name :
       std::vector<std::string>{"../escape", "a/b", "..", std::string("ctl\x01", 4), ""}) {
    INFO(name);
    auto st = fx.save(name, 0, 1, "x");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.where() == "experiment");
    loaded l;
    auto ld = fx.load(name, 0, l);
    CHECK(ld.code() == errc::invalid_argument);
    CHECK(ld.where() == "experiment");
  }
  CHECK_FALSE(fs::exists(fx.data.path() + "/escape"));
  wire::frame reply;
  auto st = fx.env.ask(fx.ckpt, reply, atoms::save::value,
                       wire::build<schema::CheckpointLoad>([](schema::CheckpointLoad::Builder) {}));
  CHECK(st.code() == errc::wrong_schema);
  CHECK(st.where() == "CheckpointSave");
  st = fx.env.ask(fx.ckpt, reply, atoms::load::value, wire::frame{});
  CHECK(st.code() == errc::malformed_frame);
  CHECK(st.where() == "CheckpointLoad");
  // Still serving.
  REQUIRE(fx.save("ok", 0, 1, "x").is_ok());
}
