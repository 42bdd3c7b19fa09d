#include "actors/trainer_worker.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include <caf/all.hpp>

#include "actors/dataset_reads.hpp"
#include "actors/experiment_frames.hpp"
#include "core/log.hpp"
#include "schemas/cluster.capnp.h"
#include "schemas/experiment.capnp.h"
#include "storage/checkpoint_store.hpp"
#include "tensorboard/tfevents.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

struct trainer_worker_state {
  // Constant after construction.
  trainer_links links;
  std::shared_ptr<std::atomic<bool>> stop;
  std::shared_ptr<trial_signals> signals;
  std::shared_ptr<spdlog::logger> log;
  // The run (a trial loop: the loop's; its trials are signals->running).
  run_identity id;
};

using self_ptr = caf::stateful_actor<trainer_worker_state>*;

wire::frame go_on(const std::string& why = {}) {
  return wire::build<schema::TrainDecision>([&](schema::TrainDecision::Builder b) {
    b.setStop(false);
    b.setReason(why);
  });
}

// The owner's decision on a report. An unreadable one says "go on" and is
// logged (when a logger is given): the function keeps running, bounded as
// ever by the owner's straggler check and its own end.
bool says_stop(const wire::frame& d, const std::shared_ptr<spdlog::logger>& log = nullptr) {
  bool stop = false;
  auto rd = wire::read<schema::TrainDecision>(d, [&](schema::TrainDecision::Reader r) {
    stop = r.getStop();
    return status::ok();
  });
  if (!rd && log)
    log->warn("unreadable decision on a report, going on: {}", rd.to_string());
  return stop;
}

caf::result<wire::frame> on_report(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  // Anonymous: the function went on; else it waits for the answer.
  const bool waits = self->current_sender() != nullptr;
  auto signals = st.signals;
  auto log = st.log;
  auto answered = [=](const wire::frame& d, uint32_t run) {
    if (!waits)
      signals->report_answered();
    if (says_stop(d, log) && signals->running.load() >> 32 == run)
      signals->stop_decided = true;
  };
  wire::frame metrics;  // only with a registry (a trial loop's go by way of its owner)
  uint32_t run = 0;
  auto rd = wire::read<schema::TrainReport>(f, [&](schema::TrainReport::Reader r) {
    run = r.getRun();
    if (st.links.registry)
      metrics = frames::metric_report(r);
    return status::ok();
  });
  if (!rd) {
    if (!waits)
      signals->report_answered();
    return wire::to_error(rd);
  }
  metrics.set_epoch(st.links.epoch);
  if (st.links.registry)
    self->request(st.links.registry, service_timeout, atoms::metrics::value, metrics)
      .then([]() {}, [=](caf::error& e) {
        self->state.log->warn("metrics not recorded: {}", wire::to_status(e).to_string());
      });
  if (!st.links.owner || st.stop->load()) {
    answered(go_on(), run);
    return go_on();
  }
  auto rp = self->make_response_promise<wire::frame>();
  self->request(st.links.owner, service_timeout, atoms::report::value, f)
    .then(
      [=](wire::frame& d) mutable {
        answered(d, run);
        rp.deliver(std::move(d));
      },
      [=](caf::error& e) mutable {
        self->state.log->warn("no decision from the driver ({}); going on",
                              wire::to_status(e).to_string());
        answered(go_on(), run);
        rp.deliver(go_on("driver did not answer"));
      });
  return rp;
}

// A trial loop's thread: trial run/attempt ended with `done`; the owner's
// answer (the next trial, or none) goes to the inbox.
void on_next(self_ptr self, uint64_t container, uint32_t run, uint32_t attempt,
             const wire::frame& done) {
  auto& st = self->state;
  if (!st.links.owner)
    return st.signals->inbox.close(status::error(
      errc::unavailable, "no owner to ask for trials", "container " + std::to_string(container)));
  auto signals = st.signals;
  self->request(st.links.owner, caf::infinite, atoms::next::value, container, run, attempt, done)
    .then(
      [=](wire::frame& f) {
        if (f.schema() == 0)
          signals->inbox.close(status::ok());
        else
          signals->inbox.put(std::move(f));
      },
      [=](caf::error& e) { signals->inbox.close(wire::to_status(e)); });
}

// Forwards a request to a service and relays the answer.
template <class Atom>
caf::result<wire::frame> relay(self_ptr self, const caf::actor& to, const char* what, Atom verb,
                               const wire::frame& f) {
  if (!to)
    return wire::to_error(status::error(errc::unavailable, std::string("no ") + what,
                                        "run " + std::to_string(self->state.id.run)));
  auto rp = self->make_response_promise<wire::frame>();
  wire::frame stamped = f; // shares the words
  stamped.set_epoch(self->state.links.epoch);
  self->request(to, service_timeout, verb, std::move(stamped))
    .then([=](wire::frame& out) mutable { rp.deliver(std::move(out)); },
          [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

void heartbeat(self_ptr self) {
  auto& st = self->state;
  uint64_t running = st.signals->running.load();
  self->send(st.links.owner, atoms::heartbeat::value,
             wire::build<schema::TrialHeartbeat>([&](schema::TrialHeartbeat::Builder b) {
               b.setExperimentId(st.id.experiment_id);
               b.setRun(static_cast<uint32_t>(running >> 32));
               b.setAttempt(static_cast<uint32_t>(running));
             }));
  self->delayed_send(self, std::chrono::milliseconds(st.links.heartbeat_ms), atoms::tick::value);
}

caf::behavior trainer_worker(self_ptr self, run_identity id, std::string node,
                             trainer_links links, std::shared_ptr<std::atomic<bool>> stop,
                             std::shared_ptr<trial_signals> signals) {
  auto& st = self->state;
  st.log = log::make(node, "trainer_worker");
  st.id = std::move(id);
  st.links = std::move(links);
  st.stop = std::move(stop);
  st.signals = std::move(signals);
  if (st.links.owner) {
    self->monitor(st.links.owner);
    self->set_down_handler([=](caf::down_msg&) {
      self->state.signals->inbox.close(
        status::error(errc::unavailable, "the driver is gone", "trial loop"));
    });
  }
  if (st.links.owner && st.links.heartbeat_ms > 0)
    heartbeat(self);
  return {
    [=](atoms::tick) { heartbeat(self); },
    [=](atoms::report, const wire::frame& f) { return on_report(self, f); },
    [=](atoms::next, uint64_t container, uint32_t run, uint32_t attempt,
        const wire::frame& done) { on_next(self, container, run, attempt, done); },
    [=](atoms::save, const wire::frame& f) {
      return relay(self, self->state.links.checkpointer, "checkpointer", atoms::save::value, f);
    },
    [=](atoms::load, const wire::frame& f) {
      return relay(self, self->state.links.checkpointer, "checkpointer", atoms::load::value, f);
    },
    [=](atoms::log, const wire::frame& f) {
      if (self->state.links.logs) {
        wire::frame stamped = f;
        stamped.set_epoch(self->state.links.epoch);
        self->send(self->state.links.logs, atoms::log::value, std::move(stamped));
      }
    },
    [=](atoms::fs_tdinfo, const wire::frame& f) {
      return relay(self, self->state.links.features, "feature store", atoms::fs_tdinfo::value, f);
    },
    [=](atoms::fs_tdread, const wire::frame& f) {
      return relay(self, self->state.links.features, "feature store", atoms::fs_tdread::value, f);
    },
    [=](atoms::stop, uint64_t) { self->state.stop->store(true); },
  };
}

// --- the function thread's side ---------------------------------------------

class actor_train_services final : public train_services {
public:
  actor_train_services(caf::actor_system& sys, caf::actor trainer, run_identity id,
                       std::string node, std::string tb_dir,
                       std::shared_ptr<trial_signals> signals, std::string shared)
    : self_(sys), trainer_(std::move(trainer)), id_(std::move(id)), node_(std::move(node)),
      tb_dir_(std::move(tb_dir)), signals_(std::move(signals)), shared_(std::move(shared)) {}

  decision report(uint64_t step, const named_values& metrics) override {
    auto f = wire::build<schema::TrainReport>([&](schema::TrainReport::Builder b) {
      b.setExperimentId(id_.experiment_id);
      b.setRun(id_.run);
      b.setStep(step);
      wire::to_wire(b.initMetrics(static_cast<unsigned>(metrics.size())), metrics);
    });
    if (signals_->reports_in_flight.load() < report_window) {
      ++signals_->reports_in_flight;
      caf::anon_send(trainer_, atoms::report::value, std::move(f));
      return stop_decided() ? decision::stop : decision::go_on;
    }
    wire::frame answer;
    if (!ask(atoms::report::value, f, answer))
      return stop_decided() ? decision::stop : decision::go_on;
    return says_stop(answer) || stop_decided() ? decision::stop : decision::go_on;
  }

  bool stop_decided() const override { return signals_->stop_decided.load(); }

  status save_checkpoint(uint64_t step, const std::string& payload,
                         const named_values& metadata) override {
    if (!shared_.empty()) {
      status direct = save_shared(step, payload, metadata);
      if (direct.code() != errc::not_found)
        return direct;
      log("warn", "the head does not see the shared data directory " + shared_ + " (" +
                    direct.to_string() + "): checkpoints go through the head");
      shared_.clear();
    }
    auto f = wire::build<schema::CheckpointSave>([&](schema::CheckpointSave::Builder b) {
      b.setExperiment(id_.experiment);
      b.setRun(id_.run);
      b.setStep(step);
      b.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload.data()),
                                payload.size()));
      wire::to_wire(b.initMetadata(static_cast<unsigned>(metadata.size())), metadata);
    });
    wire::frame answer;
    return ask(atoms::save::value, f, answer);
  }

  // Shared storage: the file staged here, then a commit request carrying no
  // payload; the checkpointer refuses it for a fenced epoch.
  status save_shared(uint64_t step, const std::string& payload, const named_values& metadata) {
    storage::checkpoint_store store;
    std::string staged;
    auto st = storage::checkpoint_store::open(shared_, id_.experiment, id_.run, {}, &store);
    if (st)
      st = store.stage(step, payload, metadata, node_ + "-" + std::to_string(::getpid()),
                       &staged);
    if (!st)
      return st;
    auto f = wire::build<schema::CheckpointSave>([&](schema::CheckpointSave::Builder b) {
      b.setExperiment(id_.experiment);
      b.setRun(id_.run);
      b.setStep(step);
      b.setStaged(staged);
    });
    wire::frame answer;
    st = ask(atoms::save::value, f, answer);
    if (!st)
      store.discard(staged);
    return st;
  }

  // The run's own newest checkpoint, else a promotion's parent's (train.hpp).
  status load_checkpoint(uint64_t& step, std::string& payload, named_values& metadata) override {
    status own = load_run(id_.run, step, payload, metadata);
    if (own || own.code() != errc::not_found || !id_.has_parent)
      return own;
    status parent = load_run(id_.parent_run, step, payload, metadata);
    if (parent)
      log("info", "no checkpoint of its own: continues run " + std::to_string(id_.parent_run)
                    + " from its checkpoint of step " + std::to_string(step));
    return parent.code() == errc::not_found ? own : parent;
  }

  void log(const std::string& level, const std::string& message) override {
    auto f = wire::build<schema::LogRecord>([&](schema::LogRecord::Builder b) {
      b.setExperiment(id_.experiment);
      b.setRun(id_.run);
      b.setLevel(level);
      b.setWallMs(std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count());
      b.setNode(node_);
      b.setMessage(message);
    });
    self_->send(trainer_, atoms::log::value, std::move(f));
  }

  status scalar(const std::string& tag, double value, uint64_t step) override {
    if (tb_dir_.empty())
      return status::ok();
    if (!tb_.is_open())
      if (auto st = tensorboard::event_writer::open(tb_dir_, tb_); !st)
        return st;
    return tb_.add_scalar(tag, static_cast<float>(value), static_cast<int64_t>(step));
  }

  status training_dataset(const std::string& name, uint32_t version,
                          training_dataset_shape* out) override {
    wire::frame answer;
    if (auto st = ask(atoms::fs_tdinfo::value, dataset_info_request(name, version), answer); !st)
      return st;
    return read_dataset_shape(name, answer, out);
  }

  status read_training_rows(const training_rows_request& req, training_rows* out) override {
    wire::frame answer;
    if (auto st = ask(atoms::fs_tdread::value, dataset_rows_request(req), answer); !st)
      return st;
    return read_dataset_rows(req.name, answer, out);
  }

private:
  // The newest checkpoint of run `run` of this experiment.
  status load_run(uint32_t run, uint64_t& step, std::string& payload, named_values& metadata) {
    if (!shared_.empty()) {
      // Only committed checkpoints (ckpt-*.lgck) are read: a staged one never is.
      std::string dir = shared_ + "/checkpoints/" + id_.experiment + "/" + std::to_string(run);
      struct ::stat info;
      storage::checkpoint_store store;
      storage::checkpoint ck;
      status st = ::stat(dir.c_str(), &info) != 0
                    ? status::error(errc::not_found, "no checkpoint yet", dir)
                    : storage::checkpoint_store::open(shared_, id_.experiment, run, {}, &store);
      if (st)
        st = store.load_latest(&ck);
      if (!st)
        return st.code() == errc::not_found
                 ? status::error(errc::not_found, "no checkpoint yet",
                                 id_.experiment + "/" + std::to_string(run))
                 : st;
      step = ck.info.step;
      payload = std::move(ck.payload);
      metadata = std::move(ck.info.metadata);
      return status::ok();
    }
    auto f = wire::build<schema::CheckpointLoad>([&](schema::CheckpointLoad::Builder b) {
      b.setExperiment(id_.experiment);
      b.setRun(run);
    });
    wire::frame answer;
    if (auto st = ask(atoms::load::value, f, answer); !st)
      return st;
    return wire::read<schema::CheckpointData>(answer, [&](schema::CheckpointData::Reader r) {
      if (!r.getFound())
        return status::error(errc::not_found, "no checkpoint yet",
                             id_.experiment + "/" + std::to_string(run));
      step = r.getStep();
      auto data = r.getPayload();
      payload.assign(reinterpret_cast<const char*>(data.begin()), data.size());
      metadata = wire::from_wire(r.getMetadata());
      return status::ok();
    });
  }

  template <class Atom>
  status ask(Atom verb, const wire::frame& f, wire::frame& answer) {
    status out;
    self_->request(trainer_, service_timeout + std::chrono::seconds(5), verb, f)
      .receive([&](wire::frame& a) { answer = std::move(a); },
               [&](caf::error& e) { out = wire::to_status(e); });
    return out;
  }

  caf::scoped_actor self_;
  caf::actor trainer_;
  run_identity id_;
  std::string node_;
  std::string tb_dir_;
  tensorboard::event_writer tb_;
  std::shared_ptr<trial_signals> signals_;
  std::string shared_; // --shared-data; cleared when the head does not see it
};

} // namespace

void trial_inbox::put(wire::frame trial) {
  {
    std::lock_guard<std::mutex> g(m_);
    trials_.push_back(std::move(trial));
  }
  cv_.notify_one();
}

void trial_inbox::close(status why) {
  {
    std::lock_guard<std::mutex> g(m_);
    if (!closed_)
      why_ = std::move(why);
    closed_ = true;
  }
  cv_.notify_one();
}

bool trial_inbox::take(wire::frame& out, const std::atomic<bool>& stop) {
  std::unique_lock<std::mutex> g(m_);
  for (;;) {
    if (stop.load())
      return false;
    if (!trials_.empty()) {
      out = std::move(trials_.front());
      trials_.pop_front();
      return true;
    }
    if (closed_)
      return false;
    cv_.wait_for(g, std::chrono::milliseconds(50));
  }
}

status trial_inbox::closed_because() const {
  std::lock_guard<std::mutex> g(m_);
  return why_;
}

caf::actor spawn_trainer_worker(caf::actor_system& sys, run_identity id, std::string node,
                                trainer_links links, std::shared_ptr<std::atomic<bool>> stop,
                                std::shared_ptr<trial_signals> signals) {
  return sys.spawn(trainer_worker, std::move(id), std::move(node), std::move(links),
                   std::move(stop), std::move(signals));
}

std::unique_ptr<train_services> make_train_services(caf::actor_system& sys, caf::actor trainer,
                                                    run_identity id, std::string node,
                                                    std::string tensorboard_dir,
                                                    std::shared_ptr<trial_signals> signals,
                                                    std::string shared_data) {
  return std::make_unique<actor_train_services>(sys, std::move(trainer), std::move(id),
                                                std::move(node), std::move(tensorboard_dir),
                                                std::move(signals), std::move(shared_data));
}

} // namespace lagom::actors
