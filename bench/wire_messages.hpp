// Payloads and the echo server of bench_wire (see wire.cpp): the request and
// reply frames of the wire path, the byte checksum of the plain path, and the
// server behavior that answers both.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <capnp/message.h>
#include <capnp/serialize.h>

#include "schemas/cluster.capnp.h"
#include "wire/atoms.hpp"
#include "wire/read.hpp"

namespace bench {

using namespace lagom;
using bplain = caf::atom_constant<caf::atom("bplain")>;
using bcapnp = caf::atom_constant<caf::atom("bcapnp")>;

constexpr unsigned large_params = 1630; // brings the request to ~64 KiB
inline volatile double sink = 0;         // keeps the reads from being optimized out

// The extra params' keys, made once: an application holds its params already.
inline const std::vector<std::string> keys = [] {
  std::vector<std::string> k;
  for (unsigned i = 0; i < large_params; ++i)
    k.push_back("p" + std::to_string(10000 + i));
  return k;
}();

inline void fill_request(schema::FunctionLaunch::Builder b, unsigned extra) {
    auto c = b.initContainer();
    c.setId(42), c.setNodeId(1), c.setNodeName("node-1"), c.setCpus(4), c.setMemoryMb(8192);
    c.setGpuIds({0, 1});
    b.setFunction("train_mnist"), b.setRank(0), b.setWorldSize(2);
    auto ps = b.initParams(3 + extra);
    ps[0].setKey("lr"), ps[0].setNumber(0.01);
    ps[1].setKey("batch_size"), ps[1].setNumber(64);
    ps[2].setKey("optimizer"), ps[2].setText("adam");
    for (unsigned i = 0; i < extra; ++i)
      ps[3 + i].setKey({keys[i].data(), keys[i].size()}), ps[3 + i].setNumber(i * 0.5);
}

inline void fill_reply(schema::FunctionResult::Builder b, uint64_t container, double loss) {
    b.setContainerId(container), b.setDevice("cpu"), b.setElapsedMs(1.5);
    auto v = b.initValues(2);
    v[0].setKey("loss"), v[0].setNumber(loss);
    v[1].setKey("accuracy"), v[1].setNumber(0.93);
}

inline wire::frame make_request(unsigned extra) {
  return wire::build<schema::FunctionLaunch>(
    [&](schema::FunctionLaunch::Builder b) { fill_request(b, extra); });
}

inline wire::frame make_reply(uint64_t container, double loss) {
  return wire::build<schema::FunctionResult>(
    [&](schema::FunctionResult::Builder b) { fill_reply(b, container, loss); });
}

// Visits every field of a request; returns a sum so nothing is skipped.
inline double visit_request(schema::FunctionLaunch::Reader r, uint64_t& id) {
  double sum = 0;
  auto c = r.getContainer();
  id = c.getId();
  sum += c.getNodeId() + c.getNodeName().size() + c.getCpus() + c.getMemoryMb();
  for (auto g : c.getGpuIds())
    sum += g;
  sum += r.getFunction().size() + r.getRank() + r.getWorldSize();
  for (auto kv : r.getParams())
    sum += kv.getKey().size() + (kv.isNumber() ? kv.getNumber() : kv.getText().size());
  return sum;
}

inline double visit_reply(schema::FunctionResult::Reader r) {
  double sum = r.getContainerId() + r.getDevice().size() + r.getElapsedMs();
  for (auto kv : r.getValues())
    sum += kv.getKey().size() + kv.getNumber();
  return sum;
}

// The plain-CAF way to carry Cap'n Proto: a fresh MallocMessageBuilder, its
// flat array copied into a std::string; the reader copies the string into
// word-aligned storage and decodes it with the same limits as wire::read.
template <class T, class F>
std::string capnp_string(F&& fill) {
  capnp::MallocMessageBuilder mb;
  fill(mb.initRoot<T>());
  auto words = capnp::messageToFlatArray(mb);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

template <class T, class F>
auto read_capnp_string(const std::string& s, F&& visit) {
  auto words = kj::heapArray<capnp::word>(s.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), s.data(), words.size() * sizeof(capnp::word));
  capnp::ReaderOptions opts;
  opts.traversalLimitInWords = wire::default_limits().traversal_words;
  opts.nestingLimit = wire::default_limits().nesting;
  capnp::FlatArrayMessageReader reader(words, opts);
  return visit(reader.getRoot<T>());
}

inline uint64_t checksum(const std::string& s) {
  uint64_t sum = 0;
  for (unsigned char ch : s)
    sum += ch;
  return sum;
}

inline caf::behavior server(caf::event_based_actor*) {
  const std::string reply_template(make_reply(0, 0).size_bytes(), 'r');
  return {
    [](atoms::launch, const wire::frame& f) -> caf::result<wire::frame> {
      uint64_t id = 0;
      double sum = 0;
      auto st = wire::read<schema::FunctionLaunch>(f, [&](schema::FunctionLaunch::Reader r) {
        sum = visit_request(r, id);
        return status::ok();
      });
      if (!st)
        return caf::make_error(caf::sec::invalid_argument, st.message());
      return make_reply(id, sum);
    },
    [](bcapnp, const std::string& s) -> caf::result<std::string> {
      try {
        uint64_t id = 0;
        double sum = read_capnp_string<schema::FunctionLaunch>(
          s, [&](schema::FunctionLaunch::Reader r) { return visit_request(r, id); });
        return capnp_string<schema::FunctionResult>(
          [&](schema::FunctionResult::Builder b) { fill_reply(b, id, sum); });
      } catch (const kj::Exception& e) {
        return caf::make_error(caf::sec::invalid_argument, e.getDescription().cStr());
      }
    },
    [reply_template](bplain, const std::string& s) -> caf::result<std::string> {
      uint64_t sum = checksum(s);
      std::string out(reply_template);
      std::memcpy(&out[0], &sum, sizeof(sum));
      return out;
    },
  };
}

} // namespace bench
