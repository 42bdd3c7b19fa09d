// Fuzz target: wire::read of every root struct in schemas/*.capnp.
//
// Input: byte 0 picks the schema (modulo their count); byte 1 bit 0 picks the
// path; the rest is
//  - path 0: the frame's words (cut to a multiple of 8), as a frame tagged
//    with the chosen schema's id, read with wire::read<T>;
//  - path 1: the bytes a peer sends, decoded by the CAF deserializer of
//    wire::frame (frame_caf.cpp), then read as the schema its id names (or
//    as the chosen one, which must then say wrong_schema).
// Inside read, the reader is walked completely through Cap'n Proto's dynamic
// reflection (every field, list element, text and data), and lagom's
// converters (wire/convert.hpp) run on every KeyValue list, Container,
// FunctionSpec and Error met on the way.
#include <string>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <capnp/dynamic.h>

#include "fuzz_target.hpp"
#include "schemas/cluster.capnp.h"
#include "schemas/collective.capnp.h"
#include "schemas/experiment.capnp.h"
#include "wire/convert.hpp"
#include "wire/read.hpp"

using namespace lagom;
namespace sc = lagom::schema;

namespace {

void walk_value(capnp::DynamicValue::Reader v);

void walk_struct(capnp::DynamicStruct::Reader s) {
  auto schema = s.getSchema();
  if (schema == capnp::Schema::from<sc::Container>())
    (void)wire::from_wire(s.as<sc::Container>());
  else if (schema == capnp::Schema::from<sc::FunctionSpec>())
    (void)wire::from_wire(s.as<sc::FunctionSpec>());
  else if (schema == capnp::Schema::from<sc::Error>())
    (void)wire::from_wire(s.as<sc::Error>());
  for (auto field : schema.getNonUnionFields())
    if (!field.getType().isAnyPointer() && !field.getType().isInterface())
      walk_value(s.get(field));
  KJ_IF_MAYBE(f, s.which()) {
    walk_value(s.get(*f));
  }
}

void walk_value(capnp::DynamicValue::Reader v) {
  switch (v.getType()) {
    case capnp::DynamicValue::STRUCT:
      walk_struct(v.as<capnp::DynamicStruct>());
      break;
    case capnp::DynamicValue::LIST: {
      auto list = v.as<capnp::DynamicList>();
      auto element = list.getSchema().getElementType();
      if (element.isStruct() && element.asStruct() == capnp::Schema::from<sc::KeyValue>())
        (void)wire::from_wire(list.as<capnp::List<sc::KeyValue>>());
      for (auto e : list)
        walk_value(e);
      break;
    }
    case capnp::DynamicValue::TEXT: {
      auto t = v.as<capnp::Text>();
      (void)std::string(t.cStr(), t.size());
      break;
    }
    case capnp::DynamicValue::DATA: {
      auto d = v.as<capnp::Data>();
      unsigned sum = 0;
      for (auto b : d)
        sum += b;
      (void)sum;
      break;
    }
    default:
      break;
  }
}

// wire::read bounds a frame's traversal by its size (16 words a word, at
// least 64 Ki words: limits.hpp), so a 40-byte frame declaring 16M empty
// structs is refused; still, 64 Ki words walked through reflection (about a
// microsecond a word) per input would slow the fuzzer for nothing. A smaller
// limit keeps each input fast; the checks it exercises are the same.
const wire::limits& fuzz_limits() {
  static const wire::limits lim = [] {
    wire::limits l;
    l.traversal_words = 1u << 12;  // 32 KiB: the seeds need under 1 KiB
    return l;
  }();
  return lim;
}

template <class T>
status read_as(const wire::frame& f) {
  return wire::read<T>(
    f,
    [](typename T::Reader r) {
      walk_struct(capnp::toDynamic(r));
      (void)r.toString();  // Cap'n Proto's own traversal, text form
      return status::ok();
    },
    fuzz_limits());
}

template <class... T>
struct roots {
  static constexpr size_t count = sizeof...(T);
  using reader_fn = status (*)(const wire::frame&);
  static constexpr reader_fn readers[] = {&read_as<T>...};
  static constexpr uint64_t ids[] = {wire::schema_id<T>()...};
};

// Every top-level struct of schemas/*.capnp, in file order.
using all_roots = roots<
  // cluster.capnp
  sc::GpuInfo, sc::Resources, sc::NodeRegistration, sc::ParamSpec, sc::FunctionSpec,
  sc::NodeAccepted, sc::Heartbeat, sc::ContainerRequest, sc::Container, sc::ContainerGrant,
  sc::ContainerRelease, sc::KeyValue, sc::FunctionLaunch, sc::FunctionResult, sc::Error,
  sc::FunctionExit, sc::StatusRequest, sc::NodeStatus, sc::ClusterStatus, sc::ContainerLost,
  // collective.capnp
  sc::StoreSet, sc::StoreGet, sc::StoreValue,
  // experiment.capnp
  sc::ExperimentCreate, sc::RunInfo, sc::ExperimentInfo, sc::RunUpdate, sc::RunUpdateBatch,
  sc::ExperimentEnd, sc::MetricReport, sc::ExperimentQuery, sc::ExperimentList,
  sc::ExperimentListing, sc::MetricQuery, sc::MetricPoint, sc::MetricSeries,
  sc::MetricSeriesList, sc::CheckpointSave, sc::CheckpointSaved, sc::CheckpointLoad,
  sc::CheckpointData, sc::LogRecord, sc::LogQuery, sc::LogRecords, sc::TrainReport,
  sc::TrainDecision, sc::TrialHeartbeat>;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  const size_t pick = data[0] % all_roots::count;
  const bool through_caf = (data[1] & 1) != 0;
  data += 2;
  size -= 2;

  if (!through_caf) {
    wire::frame f;
    const bool ok = wire::frame::from_bytes(all_roots::ids[pick], data, size - size % 8, f);
    fuzz::fuzz_check(ok, "from_bytes refused a multiple of 8 bytes");
    status st = all_roots::readers[pick](f);
    fuzz::fuzz_check(st.is_ok() || st.code() == errc::malformed_frame,
                     "wire::read failed with a code other than malformed_frame");
    return 0;
  }

  wire::frame f;
  caf::binary_deserializer source(nullptr, reinterpret_cast<const char*>(data), size);
  if (auto err = source(f))
    return 0;  // refused before any frame was made
  size_t as = pick;
  for (size_t i = 0; i < all_roots::count; ++i)
    if (all_roots::ids[i] == f.schema())
      as = i;
  status st = all_roots::readers[as](f);
  if (f.schema() != all_roots::ids[as])
    fuzz::fuzz_check(st.code() == errc::wrong_schema || st.code() == errc::malformed_frame,
                     "a frame of another schema was not refused");
  return 0;
}
