#include "storage/experiment_records.hpp"

#include "storage/encoding.hpp"

namespace lagom::storage {

namespace {

// The highest pinned byte of each enum: a larger byte on disk is corrupt.
constexpr uint8_t last_kind = static_cast<uint8_t>(experiment_kind::search);
constexpr uint8_t last_experiment_status = static_cast<uint8_t>(experiment_status::stopped);
constexpr uint8_t last_run_status = static_cast<uint8_t>(run_status::cancelled);
constexpr uint8_t last_direction = static_cast<uint8_t>(direction::min);

template <class Enum>
Enum read_enum(byte_reader& r, uint8_t last) {
  uint8_t b = r.u8();
  if (b > last)
    r.fail();
  return static_cast<Enum>(b);
}

// Reads the version byte; a version this build does not know stops decoding.
// Versions first..last are read.
status open_record(byte_reader& r, const std::string& where, const char* what,
                   uint8_t* version_out = nullptr, uint8_t first = record_version,
                   uint8_t last = record_version) {
  uint8_t version = r.u8();
  if (!r.ok())
    return status::error(errc::io_error, std::string("corrupt record: empty ") + what, where);
  if (version < first || version > last)
    return status::error(errc::io_error,
                         std::string("unsupported ") + what + " record version " +
                           std::to_string(version) + " (this build reads version " +
                           (first == last ? std::to_string(last)
                                          : std::to_string(first) + " to " + std::to_string(last)) +
                           ")",
                         where);
  if (version_out != nullptr)
    *version_out = version;
  return status::ok();
}

status close_record(const byte_reader& r, const std::string& where, const char* what) {
  if (r.done())
    return status::ok();
  return status::error(errc::io_error,
                       std::string("corrupt record: ") + what +
                         (r.ok() ? " has bytes past its last field" : " is short or out of range"),
                       where);
}

} // namespace

const char* to_string(experiment_kind v) noexcept {
  return v == experiment_kind::train ? "train" : "search";
}

const char* to_string(experiment_status v) noexcept {
  switch (v) {
    case experiment_status::running: return "running";
    case experiment_status::finished: return "finished";
    case experiment_status::failed: return "failed";
    case experiment_status::stopped: return "stopped";
  }
  return "unknown";
}

const char* to_string(direction v) noexcept {
  return v == direction::max ? "max" : "min";
}

status check(experiment_kind kind, const experiment_config& config) {
  if (auto st = check_name("config.function", config.function, false); !st)
    return st;
  if (kind == experiment_kind::search && config.metric.empty())
    return status::error(errc::invalid_argument, "a search needs an optimization metric",
                         "config.metric");
  if (!config.metric.empty())
    if (auto st = check_name("config.metric", config.metric, false); !st)
      return st;
  if (auto st = check_values("config.hyperparameters", config.hyperparameters); !st)
    return st;
  return check_values("config.search", config.search);
}

status check(const run_record& run) {
  if (auto st = check_values("hyperparameters", run.hyperparameters); !st)
    return st;
  if (!run.node.empty())
    if (auto st = check_name("node", run.node, false); !st)
      return st;
  return check_values("final_metrics", run.final_metrics);
}

std::string encode(const experiment& e) {
  byte_writer w;
  w.u8(experiment_record_version);
  w.u64(e.id);
  w.str(e.name);
  w.u8(static_cast<uint8_t>(e.kind));
  w.u8(static_cast<uint8_t>(e.status));
  w.i64(e.created_ms);
  w.str(e.config.function);
  w.values(e.config.hyperparameters);
  w.str(e.config.metric);
  w.u8(static_cast<uint8_t>(e.config.dir));
  w.values(e.config.search);
  return w.take();
}

std::string encode(const run_record& r) {
  byte_writer w;
  w.u8(record_version);
  w.u64(r.experiment_id);
  w.u32(r.run);
  w.u8(static_cast<uint8_t>(r.status));
  w.values(r.hyperparameters);
  w.i64(r.start_ms);
  w.i64(r.end_ms);
  w.str(r.node);
  w.u64(r.container);
  w.u32(r.attempts);
  w.str(r.error);
  w.values(r.final_metrics);
  return w.take();
}

std::string encode(const metric_point& p) {
  byte_writer w;
  w.u8(record_version);
  w.f64(p.value);
  w.i64(p.wall_ms);
  return w.take();
}

status decode(std::string_view bytes, const std::string& where, experiment* out) {
  byte_reader r(bytes);
  uint8_t version = 0;
  if (auto st = open_record(r, where, "experiment", &version, 1, experiment_record_version); !st)
    return st;
  out->id = r.u64();
  out->name = r.str();
  out->kind = read_enum<experiment_kind>(r, last_kind);
  out->status = read_enum<experiment_status>(r, last_experiment_status);
  out->created_ms = r.i64();
  out->config.function = r.str();
  out->config.hyperparameters = r.values();
  out->config.metric = r.str();
  out->config.dir = read_enum<direction>(r, last_direction);
  out->config.search = version >= 2 ? r.values() : named_values{};
  return close_record(r, where, "experiment");
}

status decode(std::string_view bytes, const std::string& where, run_record* out) {
  byte_reader r(bytes);
  if (auto st = open_record(r, where, "run"); !st)
    return st;
  out->experiment_id = r.u64();
  out->run = r.u32();
  out->status = read_enum<run_status>(r, last_run_status);
  out->hyperparameters = r.values();
  out->start_ms = r.i64();
  out->end_ms = r.i64();
  out->node = r.str();
  out->container = r.u64();
  out->attempts = r.u32();
  out->error = r.str();
  out->final_metrics = r.values();
  return close_record(r, where, "run");
}

status decode(std::string_view bytes, const std::string& where, metric_point* out) {
  byte_reader r(bytes);
  if (auto st = open_record(r, where, "metric point"); !st)
    return st;
  out->value = r.f64();
  out->wall_ms = r.i64();
  return close_record(r, where, "metric point");
}

} // namespace lagom::storage
