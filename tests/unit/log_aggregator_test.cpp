// actors::log_aggregator through its messages: records appended as lines of
// DATA/logs/<experiment>/<run>.log and read back whole, by run, with tail;
// bad names and levels refused (as errors when asked, never written).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "actor_env.hpp"
#include "actors/log_aggregator.hpp"
#include "schemas/experiment.capnp.h"
#include "temp_dir.hpp"
#include "wire/atoms.hpp"
#include "wire/read.hpp"

using namespace lagom;
namespace fs = std::filesystem;

namespace {

struct line {
  uint32_t run;
  std::string level, node, message;
  int64_t wall_ms;
};

wire::frame record(const std::string& exp, uint32_t run, const std::string& message,
                   int64_t wall_ms = 0, const std::string& level = "info",
                   const std::string& node = "node-1") {
  return wire::build<schema::LogRecord>([&](schema::LogRecord::Builder b) {
    b.setExperiment(exp);
    b.setRun(run);
    b.setLevel(level);
    b.setWallMs(wall_ms);
    b.setNode(node);
    b.setMessage(message);
  });
}

struct fixture {
  test::temp_dir data{"lagom-logs"};
  test::actor_env env;
  caf::actor logs = env.keep(actors::spawn_log_aggregator(env.sys(), data.path()));

  // Fire and forget, as a worker's sink does.
  void send(const wire::frame& f) {
    caf::scoped_actor self{env.sys()};
    self->send(logs, atoms::log::value, f);
  }

  status query(const std::string& exp, std::optional<uint32_t> run, uint32_t tail,
               std::vector<line>& out) {
    out.clear();
    auto q = wire::build<schema::LogQuery>([&](schema::LogQuery::Builder b) {
      b.setExperiment(exp);
      b.setRun(run.value_or(0));
      b.setAllRuns(!run);
      b.setTail(tail);
    });
    wire::frame reply;
    auto st = env.ask(logs, reply, atoms::log::value, q);
    if (!st)
      return st;
    return wire::read<schema::LogRecords>(reply, [&](schema::LogRecords::Reader r) {
      for (auto x : r.getRecords()) {
        CHECK(std::string(x.getExperiment().cStr()) == exp);
        out.push_back({x.getRun(), x.getLevel().cStr(), x.getNode().cStr(),
                       x.getMessage().cStr(), x.getWallMs()});
      }
      return status::ok();
    });
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

TEST_CASE("records are appended as lines and read back by run", "[logs]") {
  fixture fx;
  // 2024-05-01T12:00:01.234Z and on.
  const int64_t t0 = 1714564801234;
  fx.send(record("exp", 1, "starting epoch 1", t0));
  fx.send(record("exp", 1, "a message with  two spaces\nand a second line", t0 + 1, "warn"));
  fx.send(record("exp", 2, "run two", t0 + 2, "debug", ""));
  fx.send(record("exp", 1, "done", t0 + 3, "error", "node-7"));
  std::vector<line> got;
  REQUIRE(fx.query("exp", 1, 0, got).is_ok());
  REQUIRE(got.size() == 3);
  CHECK(got[0].message == "starting epoch 1");
  CHECK(got[0].wall_ms == t0);
  CHECK(got[0].node == "node-1");
  CHECK(got[1].level == "warn");
  CHECK(got[1].message == "a message with  two spaces\nand a second line");
  CHECK(got[2].node == "node-7");
  CHECK(got[2].level == "error");

  auto text = read_file(fx.data.path() + "/logs/exp/1.log");
  CHECK(text.rfind("2024-05-01T12:00:01.234Z info node-1 starting epoch 1\n", 0) == 0);
  CHECK(text.find("warn node-1 a message with  two spaces\\nand a second line\n") !=
        std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 3);
  CHECK(read_file(fx.data.path() + "/logs/exp/2.log") ==
        "2024-05-01T12:00:01.236Z debug - run two\n");

  SECTION("every run, by run") {
    REQUIRE(fx.query("exp", std::nullopt, 0, got).is_ok());
    REQUIRE(got.size() == 4);
    CHECK(got[0].run == 1);
    CHECK(got[2].run == 1);
    CHECK(got[3].run == 2);
    CHECK(got[3].node.empty());
  }
  SECTION("tail keeps the newest records of the run") {
    REQUIRE(fx.query("exp", 1, 2, got).is_ok());
    REQUIRE(got.size() == 2);
    CHECK(got[0].level == "warn");
    CHECK(got[1].message == "done");
  }
  SECTION("tail across runs keeps the newest by time, still by run") {
    REQUIRE(fx.query("exp", std::nullopt, 2, got).is_ok());
    REQUIRE(got.size() == 2);
    CHECK(got[0].message == "done");  // run 1, t0 + 3
    CHECK(got[1].message == "run two");  // run 2, t0 + 2
  }
  SECTION("a run that logged nothing has no records") {
    REQUIRE(fx.query("exp", 9, 0, got).is_ok());
    CHECK(got.empty());
  }
}

TEST_CASE("a record without a time is stamped now", "[logs]") {
  fixture fx;
  fx.send(record("now", 0, "hello"));
  std::vector<line> got;
  REQUIRE(fx.query("now", 0, 0, got).is_ok());
  REQUIRE(got.size() == 1);
  CHECK(got[0].wall_ms > 1700000000000);
}

TEST_CASE("lines that are not records are passed over", "[logs]") {
  fixture fx;
  fx.send(record("edit", 0, "first", 1000));
  std::vector<line> got;
  REQUIRE(fx.query("edit", 0, 0, got).is_ok());  // the file exists now
  {
    std::ofstream out(fx.data.path() + "/logs/edit/0.log", std::ios::app);
    out << "hand-written junk\n2024-13-01T00:00:00.000Z info n bad month\n";
  }
  fx.send(record("edit", 0, "last", 2000));
  REQUIRE(fx.query("edit", 0, 0, got).is_ok());
  REQUIRE(got.size() == 2);
  CHECK(got[0].message == "first");
  CHECK(got[1].message == "last");
}

TEST_CASE("bad names and levels are refused naming the field, and never written", "[logs]") {
  fixture fx;
  wire::frame reply;
  auto ask = [&](const wire::frame& f) { return fx.env.tell(fx.logs, atoms::log::value, f); };
  struct bad_case {
    wire::frame f;
    std::string where;
  };
  std::vector<bad_case> cases = {
    {record("../escape", 0, "x"), "experiment"},
    {record("a/b", 0, "x"), "experiment"},
    {record("..", 0, "x"), "experiment"},
    {record(std::string("ctl\x1b", 4), 0, "x"), "experiment"},
    {record("", 0, "x"), "experiment"},
    {record("ok", 0, "x", 0, "loud"), "level"},
    {record("ok", 0, "x", 0, "info", "two words"), "node"},
  };
  for (auto& c : cases) {
    auto st = ask(c.f);
    INFO(st.to_string());
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.where() == c.where);
    fx.send(c.f);  // a plain send is refused quietly
  }
  CHECK(ask(record("ok", 0, "fine")).is_ok());  // asked, a good record answers unit
  std::vector<line> got;
  REQUIRE(fx.query("ok", 0, 0, got).is_ok());
  CHECK(got.size() == 1);
  CHECK_FALSE(fs::exists(fx.data.path() + "/escape"));
  CHECK_FALSE(fs::exists(fx.data.path() + "/logs/a"));

  SECTION("queries name what is wrong") {
    auto st = fx.query("nope", std::nullopt, 0, got);
    CHECK(st.code() == errc::not_found);
    CHECK(st.where() == "nope");
    st = fx.query("../x", std::nullopt, 0, got);
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.where() == "experiment");
    st = fx.env.ask(fx.logs, reply, atoms::log::value,
                    wire::build<schema::CheckpointLoad>([](schema::CheckpointLoad::Builder) {}));
    CHECK(st.code() == errc::wrong_schema);
    CHECK(st.message().find("LogRecord or LogQuery") != std::string::npos);
  }
}
