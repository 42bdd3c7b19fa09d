// log_aggregator: appends each LogRecord as one line to its run's file
// (storage/log_file.hpp), keeping the files it writes open, and answers
// LogQuery by reading the files back.
#include "actors/log_aggregator.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <numeric>

#include <fcntl.h>
#include <sys/stat.h>

#include <caf/all.hpp>

#include "actors/experiment_frames.hpp"
#include "actors/door.hpp"
#include "core/log.hpp"
#include "schemas/experiment.capnp.h"
#include "storage/encoding.hpp"
#include "storage/log_file.hpp"
#include "storage/posix_file.hpp"
#include "wire/atoms.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

/// Files kept open for appending; past this many, all are closed (one
/// experiment's search has as many open files as trials running).
constexpr size_t max_open_files = 64;
/// Message bytes in one LogRecords reply: the oldest records beyond it are
/// left out, so a reply stays far below the frame limit.
constexpr size_t max_reply_bytes = 16u << 20;

struct log_aggregator_state {
  // Constant after construction.
  std::string data_dir;
  std::shared_ptr<spdlog::logger> log;
  std::shared_ptr<const supervision::membership> members;  // may be null
  // Mutable.
  std::map<std::pair<std::string, uint32_t>, storage::posix_file> files;  // open to append
  uint64_t refused = 0;  // records refused (a send gets no error reply)
};

using self_ptr = caf::stateful_actor<log_aggregator_state>*;

struct entry {
  uint32_t run;
  storage::log_record record;
};

std::string experiment_dir(const log_aggregator_state& st, const std::string& experiment) {
  return st.data_dir + "/logs/" + experiment;
}

status append(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  std::string experiment;
  uint32_t run = 0;
  storage::log_record rec;
  auto rd = wire::read<schema::LogRecord>(f, [&](schema::LogRecord::Reader r) {
    experiment = frames::text(r.getExperiment());
    run = r.getRun();
    rec.level = frames::text(r.getLevel());
    rec.wall_ms = r.getWallMs();
    rec.node = frames::text(r.getNode());
    rec.message = frames::text(r.getMessage());
    return storage::check_name("experiment", experiment, true);
  });
  if (rd)
    rd = storage::check(rec);
  if (!rd)
    return rd;
  if (rec.wall_ms <= 0)
    rec.wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto key = std::make_pair(experiment, run);
  auto it = st.files.find(key);
  if (it == st.files.end()) {
    if (st.files.size() >= max_open_files)
      st.files.clear();
    std::string dir = experiment_dir(st, experiment);
    storage::posix_file file;
    rd = storage::make_dirs(dir);
    if (rd)
      rd = storage::posix_file::open(dir + "/" + std::to_string(run) + ".log",
                                     O_WRONLY | O_CREAT | O_APPEND, &file);
    if (!rd)
      return rd;
    it = st.files.emplace(key, std::move(file)).first;
  }
  // One write per record: the line reaches the file (not the disk) at once.
  rd = it->second.write_all(storage::format_line(rec));
  if (!rd)
    st.files.erase(it);
  return rd;
}

// The runs that have a log file in `dir`, ascending.
status runs_in(const std::string& dir, std::vector<uint32_t>* out) {
  std::vector<std::string> names;
  if (auto st = storage::list_dir(dir, &names); !st)
    return st;
  for (auto& n : names) {
    if (n.size() <= 4 || n.compare(n.size() - 4, 4, ".log") != 0)
      continue;
    auto stem = n.substr(0, n.size() - 4);
    if (stem.size() > 10 || stem.find_first_not_of("0123456789") != std::string::npos)
      continue;
    uint64_t run = std::stoull(stem);
    if (run <= UINT32_MAX)
      out->push_back(static_cast<uint32_t>(run));
  }
  std::sort(out->begin(), out->end());
  return status::ok();
}

// Keeps the newest `tail` entries (0: all) and at most max_reply_bytes of
// messages, in their order (by run, then oldest first).
void keep_newest(std::vector<entry>& all, uint32_t tail) {
  std::vector<size_t> by_time(all.size());
  std::iota(by_time.begin(), by_time.end(), 0);
  std::stable_sort(by_time.begin(), by_time.end(), [&](size_t a, size_t b) {
    return all[a].record.wall_ms < all[b].record.wall_ms;
  });
  size_t keep = tail == 0 ? all.size() : std::min<size_t>(tail, all.size());
  size_t bytes = 0, n = 0;
  for (auto i = by_time.rbegin(); i != by_time.rend() && n < keep; ++i, ++n) {
    bytes += all[*i].record.message.size();
    if (bytes > max_reply_bytes)
      break;
  }
  std::vector<bool> kept(all.size(), false);
  for (size_t i = by_time.size() - n; i < by_time.size(); ++i)
    kept[by_time[i]] = true;
  std::vector<entry> out;
  for (size_t i = 0; i < all.size(); ++i)
    if (kept[i])
      out.push_back(std::move(all[i]));
  all = std::move(out);
}

caf::message query(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  std::string experiment;
  uint32_t run = 0, tail = 0;
  bool all_runs = false;
  auto rd = wire::read<schema::LogQuery>(f, [&](schema::LogQuery::Reader r) {
    experiment = frames::text(r.getExperiment());
    run = r.getRun();
    all_runs = r.getAllRuns();
    tail = r.getTail();
    return storage::check_name("experiment", experiment, true);
  });
  std::string dir = experiment_dir(st, experiment);
  struct ::stat info;
  if (rd && ::stat(dir.c_str(), &info) != 0)
    rd = status::error(errc::not_found, "no logs of this experiment", experiment);
  std::vector<uint32_t> runs{run};
  if (rd && all_runs)
    rd = (runs.clear(), runs_in(dir, &runs));
  std::vector<entry> found;
  size_t bad = 0;
  for (size_t i = 0; rd && i < runs.size(); ++i) {
    std::vector<storage::log_record> records;
    rd = storage::read_log_file(dir + "/" + std::to_string(runs[i]) + ".log", &records, &bad);
    if (rd.code() == errc::not_found)
      rd = status::ok(); // a run that logged nothing yet
    for (auto& r : records)
      found.push_back({runs[i], std::move(r)});
  }
  if (!rd)
    return caf::make_message(wire::to_error(rd));
  if (bad > 0)
    st.log->warn("{}: passed over {} line(s) that are not log records", dir, bad);
  keep_newest(found, tail);
  return caf::make_message(wire::build<schema::LogRecords>([&](schema::LogRecords::Builder b) {
    auto list = b.initRecords(static_cast<unsigned>(found.size()));
    for (unsigned i = 0; i < found.size(); ++i) {
      auto& r = found[i].record;
      list[i].setExperiment(experiment);
      list[i].setRun(found[i].run);
      list[i].setLevel(r.level);
      list[i].setWallMs(r.wall_ms);
      list[i].setNode(r.node);
      list[i].setMessage(r.message);
    }
  }));
}

// (log, frame) carries a LogRecord (no reply unless asked) or a LogQuery.
caf::message on_log(self_ptr self, const wire::frame& f) {
  // The frame must prove the cluster token (actors/door.hpp); a refused
  // record sent plainly is only logged (by door_check).
  if (auto ok = door_check(*self->state.log, f, "logs", self->current_sender()); !ok)
    return self->current_message_id().is_request() ? caf::make_message(wire::to_error(ok))
                                                   : caf::message{};
  if (self->state.data_dir.empty())
    return caf::make_message(wire::to_error(
      status::error(errc::invalid_argument, "must not be empty", "data directory")));
  if (f.schema() == wire::schema_id<schema::LogQuery>())
    return query(self, f);
  status st = fence_check(*self->state.log, self->state.members.get(), f, "logs: record",
                          self->current_sender());
  if (st)
    st = f.schema() == wire::schema_id<schema::LogRecord>() || f.empty()
           ? append(self, f)
           : status::error(errc::wrong_schema,
                           "expected LogRecord or LogQuery, got " + wire::to_string(f), "log");
  if (st)
    return {};
  if (self->current_message_id().is_request())
    return caf::make_message(wire::to_error(st));
  // A plain send has no one to answer: say it here (the first few times).
  if (++self->state.refused <= 10)
    self->state.log->warn("refused a log record: {}{}", st.to_string(),
                          self->state.refused == 10 ? " (further ones are not reported)" : "");
  return {};
}

caf::behavior log_aggregator(self_ptr self, std::string data_dir,
                             std::shared_ptr<const supervision::membership> members) {
  self->state.data_dir = std::move(data_dir);
  self->state.members = std::move(members);
  self->state.log = log::make("head", "log_aggregator");
  return {
    [=](atoms::log, const wire::frame& f) { return on_log(self, f); },
  };
}

} // namespace

caf::actor spawn_log_aggregator(caf::actor_system& sys, std::string data_dir,
                                std::shared_ptr<const supervision::membership> members) {
  return sys.spawn(log_aggregator, std::move(data_dir), std::move(members));
}

} // namespace lagom::actors
