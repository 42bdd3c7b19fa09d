#include "actors/ddp_job.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <caf/all.hpp>

#include "actors/driver_frames.hpp"
#include "actors/experiment_frames.hpp"
#include "actors/rendezvous_store.hpp"
#include "collective/nccl_communicator.hpp"
#include "core/log.hpp"
#include "core/timeline.hpp"
#include "schemas/cluster.capnp.h"
#include "schemas/experiment.capnp.h"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

constexpr auto service_timeout = std::chrono::seconds(30);
using granted = scheduling::container;
using verdict = ddp::job_policy::verdict;

struct ddp_job_state {
  // Constant after construction.
  caf::actor head;
  std::string function;
  collective_options opts;
  std::string data_dir;
  std::map<std::string, std::string> hosts; // node name -> host
  std::shared_ptr<ddp_job_report> report;
  std::shared_ptr<spdlog::logger> log;
  caf::actor store;  // the rendezvous store the ranks meet through (gloo, nccl)
  // Mutable.
  caf::actor registry;
  uint64_t experiment_id = 0;
  int name_tries = 0;
  std::unique_ptr<ddp::job_policy> policy;
  caf::typed_response_promise<caf::unit_t> done;
  std::vector<granted> containers;   // this generation's, by rank
  bool torn_down = false;            // this generation is being stopped
  std::map<uint32_t, std::map<uint32_t, named_values>> epochs; // epoch -> rank -> end report
};

using self_ptr = caf::stateful_actor<ddp_job_state>*;

std::string job_id(const std::string& experiment) {
  std::string out;
  for (char c : experiment)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out.empty() ? "ddp" : out;
}

wire::frame request_frame(const ddp_job_state& st, uint32_t count, bool gang, bool queue) {
  return wire::build<schema::ContainerRequest>([&](schema::ContainerRequest::Builder b) {
    b.setOwner(st.opts.owner);
    b.setFunction(st.function);
    wire::to_wire(b.initParams(static_cast<unsigned>(st.opts.params.size())), st.opts.params);
    b.setCount(count);
    auto each = b.initEach();
    each.setCpus(st.opts.cpus);
    each.setMemoryMb(st.opts.memory_mb);
    each.setGpus(st.opts.gpus);
    b.setGang(gang);
    b.setPlacement(st.opts.spread ? schema::Placement::SPREAD : schema::Placement::PACK);
    b.setQueue(queue);
  });
}

wire::frame launch_frame(const ddp_job_state& st, uint32_t rank) {
  const auto& c = st.containers[rank];
  const auto& p = *st.policy;
  return wire::build<schema::FunctionLaunch>([&](schema::FunctionLaunch::Builder b) {
    wire::to_wire(b.initContainer(), c);
    b.setFunction(st.function);
    b.setRank(rank);
    b.setWorldSize(p.world_size());
    wire::to_wire(b.initParams(static_cast<unsigned>(st.opts.params.size())), st.opts.params);
    b.setExperiment(st.report->result.experiment);
    b.setExperimentId(st.experiment_id);
    b.setRun(rank);
    b.setAttempt(static_cast<uint32_t>(p.generation()));
    b.setHasParent(rank > 0); // rank 0 writes the checkpoints every rank resumes from
    b.setParentRun(0);
    auto g = b.initGroup();
    g.setJob(job_id(st.report->result.experiment));
    g.setGeneration(p.generation());
    g.setBackend(st.report->result.backend);
    g.setRendezvousTimeoutMs(static_cast<uint32_t>(st.opts.rendezvous_timeout.count()));
    g.setCollectiveTimeoutMs(static_cast<uint32_t>(st.opts.collective_timeout.count()));
    g.setBucketMb(st.opts.bucket_mb);
    g.setAccumulate(st.opts.accumulate);
    g.setSyncBn(st.opts.sync_bn);
    g.setTimeline(st.opts.timeline);
    auto h = st.hosts.find(c.node_name);
    g.setHost(h == st.hosts.end() ? "127.0.0.1" : h->second);
  });
}

void record_run(self_ptr self, uint32_t rank, storage::run_status s, const std::string& error = {}) {
  auto& st = self->state;
  if (!st.registry || rank >= st.report->result.ranks.size())
    return;
  auto& o = st.report->result.ranks[rank];
  auto f = frames::run_update(st.experiment_id,
                              frames::outcome_change(rank, s, st.opts.params, o, error));
  self->request(st.registry, service_timeout, atoms::run_update::value, std::move(f))
    .then([]() {}, [=](caf::error&) {});
}

void progress(self_ptr self, progress_event::kind_t kind, uint32_t rank,
              const std::string& error = {}) {
  auto& st = self->state;
  if (!st.opts.on_progress || rank >= st.report->result.ranks.size())
    return;
  const auto& o = st.report->result.ranks[rank];
  progress_event ev;
  ev.kind = kind;
  ev.experiment = st.report->result.experiment;
  ev.run = rank;
  ev.attempt = o.attempts;
  ev.node = o.node;
  ev.metrics = o.values;
  ev.error = error;
  st.opts.on_progress(ev);
}

void release_all(self_ptr self) {
  std::vector<uint64_t> ids;
  for (auto& c : self->state.containers)
    ids.push_back(c.id);
  if (!ids.empty())
    self->request(self->state.head, service_timeout, atoms::release::value, release_frame(ids))
      .then([]() {}, [](caf::error&) {});
}

// Joins the ranks' trace files of every generation into one Chrome trace.
void merge_timelines(self_ptr self) {
  auto& st = self->state;
  if (!st.opts.timeline || st.data_dir.empty() || st.report->result.experiment.empty())
    return;
  const std::string dir = st.data_dir + "/timelines/" + st.report->result.experiment;
  std::vector<std::string> parts;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream f(e.path());
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    const auto open = s.find('['), close = s.rfind(']');
    if (open != std::string::npos && close != std::string::npos && close > open)
      parts.push_back(s.substr(open + 1, close - open - 1));
  }
  const std::string path = dir + ".json";
  if (auto w = write_chrome_trace(path, parts); w)
    st.report->result.timeline = path;
  else
    st.log->warn("timeline not written: {}", w.to_string());
}

void finish(self_ptr self, status overall) {
  auto& st = self->state;
  st.report->overall = overall;
  if (st.policy)
    st.report->result.generations = st.policy->generation();
  merge_timelines(self);
  if (st.registry && st.experiment_id) {
    auto end = wire::build<schema::ExperimentEnd>([&](schema::ExperimentEnd::Builder b) {
      b.setExperimentId(st.experiment_id);
      b.setStatus(overall ? "finished" : "failed");
    });
    self->send(st.registry, atoms::exp_end::value, std::move(end));
  }
  // a normal exit does not end linked actors: the store is stopped here
  self->unlink_from(st.store);
  self->send_exit(st.store, caf::exit_reason::user_shutdown);
  std::vector<uint64_t> ids;
  for (auto& c : st.containers)
    ids.push_back(c.id);
  self->request(st.head, service_timeout, atoms::release::value, release_frame(ids))
    .then([=]() { self->state.done.deliver(caf::unit); self->quit(); },
          [=](caf::error&) { self->state.done.deliver(caf::unit); self->quit(); });
}

void request_ranks(self_ptr self);

void rank_ended(self_ptr self, uint64_t generation, uint32_t rank, status result) {
  auto& st = self->state;
  if (generation != st.policy->generation())
    return; // a rank of a generation already given up
  auto& o = st.report->result.ranks[rank];
  o.result = result;
  record_run(self, rank, result ? storage::run_status::finished : storage::run_status::failed,
             result ? std::string{} : result.to_string());
  progress(self, result ? progress_event::finished : progress_event::failed, rank,
           result ? std::string{} : result.to_string());
  switch (st.policy->on_rank_end(rank, result)) {
    case verdict::wait:
      return;
    case verdict::tear_down:
      st.log->warn("rank {} of generation {} ended ({}); stopping the other {}", rank,
                   generation, result.to_string(), st.policy->running());
      st.torn_down = true;
      release_all(self);
      return;
    case verdict::finished:
      return finish(self, status::ok());
    case verdict::failed:
      return finish(self, st.policy->why());
    case verdict::restart: {
      auto delay = std::chrono::milliseconds(200 * st.policy->restarts());
      st.log->warn("generation {} failed ({}); restart {} of {} in {} ms", generation,
                   st.policy->why().to_string(), st.policy->restarts(), st.opts.max_restarts,
                   delay.count());
      for (uint32_t r = 0; r < st.report->result.ranks.size(); ++r)
        progress(self, progress_event::restarting, r, st.policy->why().to_string());
      release_all(self);
      self->delayed_send(self, delay, atoms::restart::value, generation);
      return;
    }
  }
}

void on_reply(self_ptr self, uint64_t generation, uint32_t rank, const wire::frame& f) {
  if (f.schema() == wire::schema_id<schema::FunctionExit>()) {
    status why;
    auto rd = wire::read<schema::FunctionExit>(f, [&](schema::FunctionExit::Reader r) {
      why = wire::from_wire(r.getError());
      return status::ok();
    });
    return rank_ended(self, generation, rank, rd ? why : rd);
  }
  auto& st = self->state;
  if (generation == st.policy->generation()) {
    auto& o = st.report->result.ranks[rank];
    wire::read<schema::FunctionResult>(f, [&](schema::FunctionResult::Reader r) {
      o.device = r.getDevice().cStr();
      o.values = wire::from_wire(r.getValues());
      o.elapsed_ms = r.getElapsedMs();
      return status::ok();
    });
  }
  rank_ended(self, generation, rank, status::ok());
}

void start_generation(self_ptr self, std::vector<granted> got) {
  auto& st = self->state;
  const uint64_t previous = st.policy->generation();
  st.containers = std::move(got);
  const uint32_t k = static_cast<uint32_t>(st.containers.size());
  st.policy->start_generation(k);
  st.torn_down = false;
  st.epochs.clear();
  std::vector<std::string> hosts;
  for (auto& c : st.containers) {
    auto h = st.hosts.find(c.node_name);
    hosts.push_back(h == st.hosts.end() ? c.node_name : h->second);
  }
  st.report->result.world_size = k;
  if (auto chosen = ddp::choose_backend(hosts, st.opts.gpus, collective::nccl_compiled(),
                                        st.opts.backend, st.report->result.backend);
      !chosen) {
    return finish(self, chosen); // the containers granted are released there
  }
  st.log->info("generation {} of '{}': {} rank(s), backend {}", st.policy->generation(),
               st.report->result.experiment, k, st.report->result.backend);
  std::vector<container_outcome> ranks(k);
  for (uint32_t r = 0; r < k; ++r) {
    auto& o = ranks[r];
    o.experiment = st.report->result.experiment;
    o.run = r;
    o.rank = r;
    o.attempts = static_cast<uint32_t>(previous + 1);
    o.container_id = st.containers[r].id;
    o.node = st.containers[r].node_name;
    o.cpus = st.containers[r].cpus;
    o.gpus = st.containers[r].gpu_ids;
  }
  st.report->result.ranks = std::move(ranks);
  const uint64_t gen = st.policy->generation();
  for (uint32_t r = 0; r < k; ++r) {
    record_run(self, r, storage::run_status::running);
    progress(self, progress_event::started, r);
    self->request(st.head, caf::infinite, atoms::launch::value, launch_frame(st, r),
                  caf::actor_cast<caf::actor>(self))
      .then([=](const wire::frame& out) { on_reply(self, gen, r, out); },
            [=](caf::error& err) { rank_ended(self, gen, r, wire::to_status(err)); });
  }
}

// Elastic: none free for the whole gang; take what there is if enough.
void request_elastic(self_ptr self) {
  auto& st = self->state;
  self->request(st.head, caf::infinite, atoms::request::value,
                request_frame(st, st.opts.workers, false, false))
    .then(
      [=](const wire::frame& f) {
        auto& st = self->state;
        std::vector<granted> got;
        if (auto rd = read_grant(f, got); !rd)
          return finish(self, rd);
        if (st.policy->accept(static_cast<uint32_t>(got.size()))) {
          st.log->info("{} of {} rank(s) free: running with {}", got.size(), st.opts.workers,
                       got.size());
          return start_generation(self, std::move(got));
        }
        std::vector<uint64_t> ids;
        for (auto& c : got)
          ids.push_back(c.id);
        self->send(st.head, atoms::release::value, release_frame(ids));
        // wait for the smallest gang the job accepts
        self->request(st.head, caf::infinite, atoms::request::value,
                      request_frame(st, st.policy->min_workers(), true, true))
          .then(
            [=](const wire::frame& g) {
              std::vector<granted> min;
              if (auto rd = read_grant(g, min); !rd)
                return finish(self, rd);
              start_generation(self, std::move(min));
            },
            [=](caf::error& err) { finish(self, wire::to_status(err)); });
      },
      [=](caf::error& err) { finish(self, wire::to_status(err)); });
}

void request_ranks(self_ptr self) {
  auto& st = self->state;
  const bool elastic = st.policy->min_workers() < st.opts.workers;
  self->request(st.head, caf::infinite, atoms::request::value,
                request_frame(st, st.policy->first_ask(), true, !elastic))
    .then(
      [=](const wire::frame& f) {
        std::vector<granted> got;
        if (auto rd = read_grant(f, got); !rd)
          return finish(self, rd);
        start_generation(self, std::move(got));
      },
      [=](caf::error& err) {
        auto why = wire::to_status(err);
        // not all free now, or more than the cluster holds: take what there is
        if (elastic && (why.code() == errc::unavailable || why.code() == errc::infeasible))
          return request_elastic(self);
        finish(self, why);
      });
}

void create_experiment(self_ptr self) {
  auto& st = self->state;
  st.report->result.experiment =
    st.opts.name.empty() ? default_experiment_name(st.function, st.name_tries) : st.opts.name;
  st.policy = std::make_unique<ddp::job_policy>(job_id(st.report->result.experiment),
                                                to_job_options(st.opts));
  if (!st.registry)
    return request_ranks(self);
  auto f = wire::build<schema::ExperimentCreate>([&](schema::ExperimentCreate::Builder b) {
    b.setName(st.report->result.experiment);
    b.setKind(schema::ExperimentKind::TRAIN);
    b.setFunction(st.function);
    wire::to_wire(b.initHyperparameters(static_cast<unsigned>(st.opts.params.size())),
                  st.opts.params);
  });
  self->request(st.registry, service_timeout, atoms::create::value, std::move(f))
    .then(
      [=](const wire::frame& info) {
        wire::read<schema::ExperimentInfo>(info, [&](schema::ExperimentInfo::Reader r) {
          self->state.experiment_id = r.getId();
          return status::ok();
        });
        request_ranks(self);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        auto why = wire::to_status(err);
        if (st.opts.name.empty() && why.code() == errc::invalid_argument && ++st.name_tries < 20)
          return create_experiment(self);
        finish(self, why);
      });
}

// Epoch-end reports of every rank -> one line for the caller.
void on_epoch_report(self_ptr self, uint32_t run, const named_values& m) {
  auto& st = self->state;
  const uint32_t epoch = static_cast<uint32_t>(m.number("epoch", 0));
  auto& got = st.epochs[epoch];
  got[run] = m;
  if (got.size() < st.policy->world_size() || !st.opts.on_progress)
    return;
  progress_event ev;
  ev.kind = progress_event::report;
  ev.experiment = st.report->result.experiment;
  ev.run = 0;
  ev.attempt = static_cast<uint32_t>(st.policy->generation());
  ev.node = st.containers.empty() ? "" : st.containers[0].node_name;
  ev.metrics = got[0];
  for (auto& kv : got)
    ev.metrics.set("rank" + std::to_string(kv.first) + ".step_ms",
                   kv.second.number("step_ms", 0));
  st.epochs.erase(epoch);
  st.opts.on_progress(ev);
}

// The store answers a get within its own timeout (at most 600 s).
template <class Atom>
caf::result<wire::frame> forward_kv(self_ptr self, Atom atom, wire::frame& f) {
  auto rp = self->make_response_promise<wire::frame>();
  self->request(self->state.store, std::chrono::seconds(630), atom, std::move(f))
    .then([=](wire::frame& out) mutable { rp.deliver(std::move(out)); },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::behavior ddp_job(self_ptr self, caf::actor head, std::string function,
                      collective_options opts, std::string data_dir,
                      std::map<std::string, std::string> hosts,
                      std::shared_ptr<ddp_job_report> report) {
  auto& st = self->state;
  st.head = std::move(head);
  st.function = std::move(function);
  st.opts = std::move(opts);
  st.data_dir = std::move(data_dir);
  st.hosts = std::move(hosts);
  st.report = std::move(report);
  st.log = log::make("client", "ddp_job");
  st.store = spawn_rendezvous_store(self->system());
  self->link_to(st.store); // it ends with the job
  return {
    [=](atoms::launch) {
      self->state.done = self->make_response_promise<caf::unit_t>();
      self->request(self->state.head, service_timeout, atoms::services::value)
        .then(
          [=](caf::actor registry, caf::actor, caf::actor) {
            self->state.registry = registry;
            create_experiment(self);
          },
          [=](caf::error&) { create_experiment(self); });
      return self->state.done;
    },
    [=](atoms::report, const wire::frame& f) {
      auto& st = self->state;
      wire::read<schema::TrainReport>(f, [&](schema::TrainReport::Reader r) {
        const uint32_t run = r.getRun();
        if (!st.policy || run >= st.report->result.ranks.size() || st.torn_down)
          return status::ok();
        auto metrics = wire::from_wire(r.getMetrics());
        if (metrics.contains("test_accuracy"))
          on_epoch_report(self, run, metrics);
        else if (run == 0 && st.opts.on_progress) {
          progress_event ev;
          ev.kind = progress_event::report;
          ev.experiment = st.report->result.experiment;
          ev.run = 0;
          ev.attempt = st.report->result.ranks[0].attempts;
          ev.node = st.report->result.ranks[0].node;
          ev.step = r.getStep();
          ev.metrics = std::move(metrics);
          st.opts.on_progress(ev);
        }
        return status::ok();
      });
      const bool stop = st.torn_down;
      return wire::build<schema::TrainDecision>([&](schema::TrainDecision::Builder b) {
        b.setStop(stop);
        b.setReason(stop ? "the group is torn down" : "");
      });
    },
    [=](atoms::restart, uint64_t generation) {
      if (generation == self->state.policy->generation())
        request_ranks(self);
    },
    [=](atoms::release, const wire::frame&) {},
    // The ranks' rendezvous (gloo addresses, nccl's unique id): keys under
    // "<job>.<generation>/", served by this job's rendezvous_store.
    [=](atoms::kv_set, wire::frame& f) { return forward_kv(self, atoms::kv_set::value, f); },
    [=](atoms::kv_get, wire::frame& f) { return forward_kv(self, atoms::kv_get::value, f); },
  };
}

} // namespace

ddp::job_options to_job_options(const collective_options& o) {
  ddp::job_options j;
  j.workers = o.workers;
  j.min_workers = o.min_workers;
  j.cpus = o.cpus;
  j.memory_mb = o.memory_mb;
  j.gpus = o.gpus;
  j.spread = o.spread;
  j.bucket_mb = o.bucket_mb;
  j.accumulate = o.accumulate;
  j.sync_bn = o.sync_bn;
  j.backend = o.backend;
  j.timeline = o.timeline;
  j.max_restarts = o.max_restarts;
  j.rendezvous_timeout = o.rendezvous_timeout;
  j.collective_timeout = o.collective_timeout;
  return j;
}

caf::actor spawn_ddp_job(caf::actor_system& sys, caf::actor cluster_manager,
                         std::string function, collective_options opts, std::string data_dir,
                         std::map<std::string, std::string> hosts,
                         std::shared_ptr<ddp_job_report> report) {
  return sys.spawn(ddp_job, std::move(cluster_manager), std::move(function), std::move(opts),
                   std::move(data_dir), std::move(hosts), std::move(report));
}

} // namespace lagom::actors
