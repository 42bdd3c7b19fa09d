// Key layout, version 1. One LMDB environment (DATA/registry), five named
// databases. Integers in keys are big-endian (encoding.hpp), so a cursor
// walks ids, run numbers and steps in numeric order; a metric key ends with
// 0x00 (names hold no control characters).
//
//   db           key                                      value
//   meta         "layout_version"                         u32 1
//                "next_experiment_id"                     u64 (first id is 1)
//   names        experiment name (bytes)                  u64 experiment id
//   experiments  u64 id                                   experiment record
//   runs         u64 experiment id | u32 run              run record
//   metrics      u64 experiment id | u32 run | key | 0x00 | u64 step
//                                                         metric point record
//
// So the runs of an experiment are the keys with prefix u64 id, by run
// number, and a metric series is one key range in step order (see
// metric_series.hpp). Records are in experiment_records.hpp.
#include "storage/experiment_table.hpp"

#include <chrono>
#include <cmath>

#include "storage/encoding.hpp"
#include "storage/metric_series.hpp"

namespace lagom::storage {

namespace {

constexpr uint32_t layout_version = 1;
constexpr std::string_view next_id_key = "next_experiment_id";

std::string run_key(uint64_t id, uint32_t run) {
  return be64(id) + be32(run);
}

std::string run_where(const experiment& e, uint32_t run) {
  return e.name + "/" + std::to_string(run);
}

// Loads experiment `id` and, when r is given, its run `run`; a missing one
// is not_found naming it.
status load(const txn& t, const db_handle& experiments, const db_handle& runs, uint64_t id,
            experiment* e, uint32_t run = 0, run_record* r = nullptr) {
  std::string_view bytes;
  std::string where = "experiment id " + std::to_string(id);
  status st = t.get(experiments, be64(id), &bytes);
  if (st)
    st = decode(bytes, where, e);
  if (!st || r == nullptr)
    return st.code() == errc::not_found ? status::error(errc::not_found, "no such experiment",
                                                        where)
                                        : st;
  where = run_where(*e, run);
  st = t.get(runs, run_key(id, run), &bytes);
  if (st.code() == errc::not_found)
    return status::error(errc::not_found, "no such run", where);
  return st ? decode(bytes, where, r) : st;
}

// Appends every run of `e` to *out, by run number.
status load_runs(const txn& t, const db_handle& runs, const experiment& e,
                 std::vector<run_record>* out) {
  status bad;
  status st = t.for_each(runs, be64(e.id), [&](std::string_view key, std::string_view value) {
    run_record r;
    bad = decode(value, run_where(e, byte_reader(key.substr(8)).u32()), &r);
    out->push_back(std::move(r));
    return bad.is_ok();
  });
  return st ? bad : st;
}

std::string clip(std::string text) {
  if (text.size() > max_text_bytes)
    text.resize(max_text_bytes);
  return text;
}

} // namespace

status experiment_table::open(const std::string& dir, const table_options& options,
                              experiment_table* out) {
  experiment_table t;
  status st = lmdb_env::open(dir, options.env, &t.env_);
  for (auto [name, db] : {std::pair{"meta", &t.meta_}, {"names", &t.names_},
                          {"experiments", &t.experiments_}, {"runs", &t.runs_},
                          {"metrics", &t.metrics_}})
    if (st)
      st = t.env_.open_db(name, db);
  if (st)
    st = t.env_.update([&](write_txn& w) {
      return check_layout_version(w, t.meta_, layout_version, "registry " + dir);
    });
  if (!st)
    return st;
  t.clock_ = options.clock;
  *out = std::move(t);
  return status::ok();
}

int64_t experiment_table::now_ms() const {
  if (clock_)
    return clock_();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

status experiment_table::create_experiment(const std::string& name, experiment_kind kind,
                                           const experiment_config& config, if_exists mode,
                                           experiment* out) {
  if (auto st = check_name("name", name, true); !st)
    return st;
  if (auto st = check(kind, config); !st)
    return st;
  return env_.update([&](write_txn& t) {
    std::string_view bytes;
    status found = t.get(names_, name, &bytes);
    if (found) {
      if (mode == if_exists::fail)
        return status::error(errc::invalid_argument,
                             "an experiment of this name exists; resume it or choose another name",
                             name);
      if (auto st = load(t, experiments_, runs_, byte_reader(bytes).u64(), out); !st)
        return st;
      if (out->kind != kind || out->config.function != config.function)
        return status::error(errc::invalid_argument,
                             std::string("cannot resume: it is a ") + to_string(out->kind) +
                               " of function '" + out->config.function + "'",
                             name);
      out->status = experiment_status::running;
      return t.put(experiments_, be64(out->id), encode(*out));
    }
    if (found.code() != errc::not_found)
      return found;
    uint64_t id = 1;
    if (t.get(meta_, next_id_key, &bytes))
      id = byte_reader(bytes).u64();
    *out = experiment{id, name, kind, experiment_status::running, now_ms(), config};
    status st = t.put(meta_, next_id_key, be64(id + 1));
    if (st)
      st = t.put(names_, name, be64(id));
    return st ? t.put(experiments_, be64(id), encode(*out)) : st;
  });
}

status experiment_table::get_experiment(const std::string& name, experiment* out) const {
  read_txn t;
  if (status st = env_.begin_read(&t); !st)
    return st;
  std::string_view bytes;
  if (status st = t.get(names_, name, &bytes); !st)
    return st.code() == errc::not_found ? status::error(errc::not_found, "no such experiment", name)
                                        : st;
  return load(t, experiments_, runs_, byte_reader(bytes).u64(), out);
}

status experiment_table::get_experiment(uint64_t id, experiment* out) const {
  read_txn t;
  status st = env_.begin_read(&t);
  return st ? load(t, experiments_, runs_, id, out) : st;
}

status experiment_table::list_experiments(std::vector<experiment>* out) const {
  out->clear();
  read_txn t;
  status st = env_.begin_read(&t), bad;
  if (st)
    st = t.for_each(experiments_, {}, [&](std::string_view key, std::string_view value) {
      experiment e;
      bad = decode(value, "experiment key " + printable(key), &e);
      out->push_back(std::move(e));
      return bad.is_ok();
    });
  return st ? bad : st;
}

status experiment_table::set_experiment_status(uint64_t id, experiment_status s) {
  return env_.update([&](write_txn& t) {
    experiment e;
    status st = load(t, experiments_, runs_, id, &e);
    e.status = s;
    return st ? t.put(experiments_, be64(id), encode(e)) : st;
  });
}

status experiment_table::put_run(const run_record& run) {
  if (auto st = check(run); !st)
    return st;
  run_record stored = run;
  stored.error = clip(stored.error);
  return env_.update([&](write_txn& t) {
    experiment e;
    status st = load(t, experiments_, runs_, run.experiment_id, &e);
    return st ? t.put(runs_, run_key(e.id, run.run), encode(stored)) : st;
  });
}

namespace {

// Checks what a run change carries before any transaction starts.
status check_update(const run_update& update) {
  if (update.node)
    if (auto st = check_name("node", *update.node, false); !st)
      return st;
  if (update.final_metrics)
    if (auto st = check_values("final_metrics", *update.final_metrics); !st)
      return st;
  return status::ok();
}

// Whether a run may move from `from` to `to` (see update_run_status).
bool may_move(run_status from, run_status to) {
  if (from == to)
    return true;
  if (is_final(from))
    return false;
  if (from == run_status::cancelled)
    return to == run_status::running || to == run_status::queued;
  return true;
}

// Moves run `r` (of `e`) to `s` and applies `update` (see update_run_status).
status move_run(const experiment& e, run_record& r, run_status s, const run_update& update,
                int64_t now) {
  if (!may_move(r.status, s))
    return status::error(errc::invalid_argument,
                         std::string("run is ") + to_string(r.status) + "; it cannot become " +
                           to_string(s),
                         run_where(e, r.run));
  if (s == run_status::running && r.status != run_status::running) {
    ++r.attempts;
    r.start_ms = r.start_ms != 0 ? r.start_ms : now;
    r.end_ms = 0;
  }
  if (has_ended(s) && s != r.status)
    r.end_ms = now;
  r.status = s;
  r.node = update.node.value_or(r.node);
  r.container = update.container.value_or(r.container);
  r.error = update.error ? clip(*update.error) : r.error;
  r.final_metrics = update.final_metrics.value_or(r.final_metrics);
  return status::ok();
}

} // namespace

status experiment_table::update_run_status(uint64_t experiment_id, uint32_t run, run_status s,
                                           const run_update& update, run_record* out) {
  if (auto st = check_update(update); !st)
    return st;
  return env_.update([&](write_txn& t) {
    experiment e;
    run_record r;
    if (auto st = load(t, experiments_, runs_, experiment_id, &e, run, &r); !st)
      return st;
    if (auto st = move_run(e, r, s, update, now_ms()); !st)
      return st;
    if (out != nullptr)
      *out = r;
    return t.put(runs_, run_key(e.id, run), encode(r));
  });
}

status experiment_table::apply_run_changes(const std::vector<run_change>& changes) {
  for (auto& c : changes) {
    run_record probe;
    probe.hyperparameters = c.hyperparameters;
    if (auto st = check(probe); !st)
      return st;
    if (auto st = check_update(c.update); !st)
      return st;
  }
  return env_.update([&](write_txn& t) {
    int64_t now = now_ms();
    experiment e;
    for (auto& c : changes) {
      if (e.id != c.experiment_id)
        if (auto st = load(t, experiments_, runs_, c.experiment_id, &e); !st)
          return st;
      run_record r;
      std::string_view bytes;
      status got = t.get(runs_, run_key(e.id, c.run), &bytes);
      if (got.code() == errc::not_found) {
        r.experiment_id = e.id;
        r.run = c.run;
        r.hyperparameters = c.hyperparameters;
      } else if (!got || !(got = decode(bytes, run_where(e, c.run), &r))) {
        return got;
      }
      // A search's late change to a run cancelled under it (the registry's
      // sweep on SIGTERM) is dropped: the cancellation stands, the rest of
      // the batch is kept.
      if (r.status == run_status::cancelled && !may_move(r.status, c.status))
        continue;
      if (auto st = move_run(e, r, c.status, c.update, c.at_ms > 0 ? c.at_ms : now); !st)
        return st;
      if (auto st = t.put(runs_, run_key(e.id, c.run), encode(r)); !st)
        return st;
    }
    return status::ok();
  });
}

status experiment_table::get_run(uint64_t experiment_id, uint32_t run, run_record* out) const {
  read_txn t;
  experiment e;
  status st = env_.begin_read(&t);
  return st ? load(t, experiments_, runs_, experiment_id, &e, run, out) : st;
}

status experiment_table::list_runs(uint64_t experiment_id, std::vector<run_record>* out) const {
  out->clear();
  read_txn t;
  experiment e;
  status st = env_.begin_read(&t);
  if (st)
    st = load(t, experiments_, runs_, experiment_id, &e);
  return st ? load_runs(t, runs_, e, out) : st;
}

status experiment_table::append_metric(uint64_t experiment_id, uint32_t run, uint64_t step,
                                       const std::string& key, double value) {
  named_values one;
  one.set(key, value);
  return append_metrics(experiment_id, run, step, one);
}

status experiment_table::append_metrics(uint64_t experiment_id, uint32_t run, uint64_t step,
                                        const named_values& metrics) {
  for (auto& [key, value] : metrics.entries()) {
    if (auto st = check_name("metric key", key, false); !st)
      return st;
    if (!std::holds_alternative<double>(value))
      return status::error(errc::invalid_argument, "a metric value must be a number, not a text",
                           "metrics." + key);
  }
  return env_.update([&](write_txn& t) {
    experiment e;
    run_record r;
    status st = load(t, experiments_, runs_, experiment_id, &e, run, &r);
    metric_point p{step, 0, now_ms()};
    for (auto& [key, value] : metrics.entries()) {
      p.value = std::get<double>(value);
      if (st)
        st = metric_series::put(t, metrics_, e.id, run, key, p);
    }
    return st;
  });
}

status experiment_table::read_metric(uint64_t experiment_id, uint32_t run, const std::string& key,
                                     std::vector<metric_point>* out) const {
  out->clear();
  if (auto st = check_name("metric key", key, false); !st)
    return st;
  read_txn t;
  experiment e;
  run_record r;
  status st = env_.begin_read(&t);
  if (st)
    st = load(t, experiments_, runs_, experiment_id, &e, run, &r);
  return st ? metric_series::read(t, metrics_, e.id, run, key, run_where(e, run) + "/" + key, out)
            : st;
}

status experiment_table::metric_keys(uint64_t experiment_id, uint32_t run,
                                     std::vector<std::string>* out) const {
  out->clear();
  read_txn t;
  experiment e;
  run_record r;
  status st = env_.begin_read(&t);
  if (st)
    st = load(t, experiments_, runs_, experiment_id, &e, run, &r);
  return st ? metric_series::keys(t, metrics_, e.id, run, out) : st;
}

status experiment_table::best_run(uint64_t experiment_id, const std::string& metric,
                                  direction dir, run_record* out, double* value) const {
  if (auto st = check_name("metric", metric, false); !st)
    return st;
  read_txn t;
  experiment e;
  std::vector<run_record> runs;
  status st = env_.begin_read(&t);
  if (st)
    st = load(t, experiments_, runs_, experiment_id, &e);
  if (st)
    st = load_runs(t, runs_, e, &runs);
  bool have = false;
  double best = 0;
  for (auto& r : runs) {
    if (!st || !is_final(r.status))
      continue;
    double v = r.final_metrics.number(metric, NAN);
    if (!r.final_metrics.contains(metric)) {
      metric_point p;
      bool found = false;
      st = metric_series::last(t, metrics_, e.id, r.run, metric,
                               run_where(e, r.run) + "/" + metric, &p, &found);
      v = found ? p.value : NAN;
    }
    if (std::isnan(v) || (have && !(dir == direction::max ? v > best : v < best)))
      continue;
    have = true;
    best = v;
    *out = r;
  }
  if (st && !have)
    return status::error(errc::not_found,
                         "no finished or stopped_early run reports metric '" + metric + "'",
                         e.name);
  if (st && value != nullptr)
    *value = best;
  return st;
}

} // namespace lagom::storage
