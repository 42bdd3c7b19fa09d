#include "actors/container_exec.hpp"

#include <chrono>
#include <filesystem>
#include <thread>

#include <caf/all.hpp>

#include "actors/door.hpp"
#include "actors/rendezvous_store.hpp"
#include "gpu/gpu_discovery.hpp"
#include "schemas/cluster.capnp.h"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

status decode_launch(const wire::frame& f, const std::string& node, launch_spec& out) {
  return wire::read<schema::FunctionLaunch>(f, [&](schema::FunctionLaunch::Reader r) {
    auto c = r.getContainer();
    out.where.container_id = c.getId();
    out.where.node = node;
    out.where.cpus = c.getCpus();
    out.where.gpus.clear();
    for (auto g : c.getGpuIds())
      out.where.gpus.push_back(g);
    out.where.rank = r.getRank();
    out.where.world_size = r.getWorldSize();
    out.function = r.getFunction().cStr();
    out.params = wire::from_wire(r.getParams());
    out.id.experiment = r.getExperiment().cStr();
    out.id.experiment_id = r.getExperimentId();
    out.id.run = r.getRun();
    out.id.attempt = r.getAttempt();
    out.id.has_parent = r.getHasParent();
    out.id.parent_run = r.getParentRun();
    out.heartbeat_ms = r.getHeartbeatMs();
    out.trial_loop = r.getTrialLoop();
    out.lookahead = r.getLookahead();
    out.group = {};
    if (r.hasGroup()) {
      auto g = r.getGroup();
      out.group.job = g.getJob().cStr();
      out.group.generation = g.getGeneration();
      out.group.backend = g.getBackend().cStr();
      out.group.rendezvous_timeout = std::chrono::milliseconds(g.getRendezvousTimeoutMs());
      out.group.collective_timeout = std::chrono::milliseconds(g.getCollectiveTimeoutMs());
      out.group.settings.bucket_mb = g.getBucketMb();
      out.group.settings.accumulate = g.getAccumulate();
      out.group.settings.sync_bn = g.getSyncBn();
      out.group.settings.agree_stop = g.getAgreeStop();
      out.group.timeline = g.getTimeline();
      if (g.hasHost())
        out.group.host = g.getHost().cStr();
    }
    return status::ok();
  });
}

wire::frame exit_frame(uint64_t id, const status& why) {
  return wire::build<schema::FunctionExit>([&](schema::FunctionExit::Builder b) {
    b.setContainerId(id);
    wire::to_wire(b.initError(), why);
  });
}

namespace {

// Stops the run's trainer_worker however the function ends.
struct trainer_guard {
  caf::actor trainer;
  ~trainer_guard() { caf::anon_send_exit(trainer, caf::exit_reason::user_shutdown); }
};

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
    .count();
}

// One call of the function for `spec`, its reports going to `trainer`.
wire::frame call_function(caf::actor_system& sys, const train_fn_registration& fn,
                          launch_spec spec, std::shared_ptr<std::atomic<bool>> stop,
                          const caf::actor& trainer, std::shared_ptr<trial_signals> signals,
                          const std::string& data_dir, const caf::actor& owner,
                          const std::string& shared_data) {
  auto t0 = std::chrono::steady_clock::now();
  const uint64_t id = spec.where.container_id;
  if (!fn.open)
    if (auto st = check_params(spec.function, fn.params, spec.params); !st)
      return exit_frame(id, st);
  // A data-parallel rank joins its group first (bounded by the rendezvous
  // timeout); a rank that cannot is lost to the group, not a function error.
  // gloo and nccl meet through the rendezvous store the owner (the job's
  // driver) serves: requests bounded by the rendezvous timeout.
  std::unique_ptr<ddp::rank_group> group;
  std::shared_ptr<collective::kv_store> store;
  if (spec.group.present() && spec.group.backend != "shm" && owner)
    store = make_rendezvous_store_client(sys, owner);
  if (spec.group.present() && spec.where.world_size > 1)
    if (auto st = ddp::rank_group::open(spec.group, spec.where.rank, spec.where.world_size,
                                        store, &group);
        !st)
      return exit_frame(id, status::error(st.code() == errc::invalid_argument
                                              ? st.code()
                                              : errc::container_lost,
                                          "rank " + std::to_string(spec.where.rank) +
                                              " could not join its group: " + st.message(),
                                          st.where()));
  auto save_trace = [&] {
    if (!group || !group->trace() || data_dir.empty() || spec.id.experiment.empty())
      return;
    const std::string dir = data_dir + "/timelines/" + spec.id.experiment;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    group->write_timeline(dir + "/gen-" + std::to_string(spec.group.generation) + ".rank-" +
                          std::to_string(spec.where.rank) + ".json");
  };
  auto failed = [&](status own) {
    save_trace();
    if (group && !group->failure().is_ok())
      return exit_frame(id, group->exit_status());
    return exit_frame(id, own);
  };
  try {
    if (!spec.where.gpus.empty())
      if (auto st = gpu::bind_thread(spec.where.gpus.front()); !st)
        throw std::runtime_error(st.to_string());
    std::string tb_dir;
    if (!spec.id.experiment.empty() && !data_dir.empty())
      tb_dir = data_dir + "/tensorboard/" + spec.id.experiment + "/run-"
               + std::to_string(spec.id.run);
    if (!tb_dir.empty() && group && spec.where.rank > 0 && spec.group.settings.agree_stop)
      tb_dir += ".rank-" + std::to_string(spec.where.rank); // a trial's other ranks
    auto services = make_train_services(sys, trainer, spec.id, spec.where.node, tb_dir,
                                        std::move(signals), shared_data);
    train_context ctx{spec.where, spec.params, stop, spec.id, services.get()};
    if (group)
      ctx.attach_group(group->comm(), spec.group.settings, group->trace());
    named_values values = fn.fn(ctx);
    save_trace();
    if (group && !group->failure().is_ok()) // it failed a collective, then returned
      return exit_frame(id, group->exit_status());
    return wire::build<schema::FunctionResult>([&](schema::FunctionResult::Builder b) {
      b.setContainerId(id);
      b.setDevice(ctx.device());
      wire::to_wire(b.initValues(static_cast<unsigned>(values.size())), values);
      b.setElapsedMs(ms_since(t0));
    });
  } catch (const std::exception& e) {
    return failed(status::error(errc::function_failed, e.what(), spec.function));
  } catch (...) {
    return failed(status::error(errc::function_failed, "unknown exception", spec.function));
  }
}

// A trial loop: trials from the owner until it has none, or a stop. The
// loop keeps 1 + lookahead asks outstanding: with a lookahead, its next trial
// is already here when the current one ends.
wire::frame run_trials(caf::actor_system& sys, const train_fn_registration& fn,
                       const launch_spec& loop, std::shared_ptr<std::atomic<bool>> stop,
                       trainer_links links, const std::string& data_dir) {
  auto t0 = std::chrono::steady_clock::now();
  const uint64_t id = loop.where.container_id;
  auto signals = std::make_shared<trial_signals>();
  links.heartbeat_ms = loop.heartbeat_ms;
  // The loop's owner stores its trials' metrics, in order with their runs
  // (trial_scheduler.hpp); the trainer_worker must not race it.
  links.registry = caf::actor{};
  trainer_guard trainer{spawn_trainer_worker(sys, loop.id, loop.where.node, links, stop,
                                             signals)};
  auto ask = [&](uint32_t run, uint32_t attempt, wire::frame done) {
    caf::anon_send(trainer.trainer, atoms::next::value, id, run, attempt, std::move(done));
  };
  for (uint32_t i = 0; i <= loop.lookahead; ++i)
    ask(0, 0, {});
  uint32_t trials = 0;
  wire::frame next;
  while (signals->inbox.take(next, *stop)) {
    launch_spec trial;
    auto rd = decode_launch(next, loop.where.node, trial);
    trial.where = loop.where;  // the container's placement (a worker's GPUs renumbered)
    signals->start(trial.id);
    ask(trial.id.run, trial.id.attempt,
        rd ? call_function(sys, fn, trial, stop, trainer.trainer, signals, data_dir, {},
                           links.shared_data)
           : exit_frame(id, rd));
    ++trials;
  }
  if (auto why = signals->inbox.closed_because(); !why)
    return exit_frame(id, why);
  named_values values;
  values.set("trials", double(trials));
  return wire::build<schema::FunctionResult>([&](schema::FunctionResult::Builder b) {
    b.setContainerId(id);
    b.setDevice(train_context{loop.where, {}}.device());
    wire::to_wire(b.initValues(static_cast<unsigned>(values.size())), values);
    b.setElapsedMs(ms_since(t0));
  });
}

} // namespace

wire::frame run_function(caf::actor_system& sys, const train_fn_registration& fn,
                         launch_spec spec, std::shared_ptr<std::atomic<bool>> stop,
                         const trainer_links& links, const std::string& data_dir) {
  if (spec.trial_loop)
    return run_trials(sys, fn, spec, std::move(stop), links, data_dir);
  auto signals = std::make_shared<trial_signals>();
  signals->start(spec.id);
  trainer_links with_beat = links;
  with_beat.heartbeat_ms = spec.heartbeat_ms;
  trainer_guard trainer{spawn_trainer_worker(sys, spec.id, spec.where.node, with_beat, stop,
                                             signals)};
  auto tw = trainer.trainer;
  auto out = call_function(sys, fn, std::move(spec), std::move(stop), tw, signals, data_dir,
                           links.owner, links.shared_data);
  // Reports went on without waiting for their answers, and the result takes
  // another way (node, head): it must not reach the owner before them, or a
  // launch ends with its last reports unseen. The trainer_worker answers each
  // within its service timeout (30 s).
  signals->await_reports(std::chrono::seconds(35));
  return out;
}

void start_thread(caf::actor node, train_fn_registration fn, launch_spec spec,
                  std::shared_ptr<std::atomic<bool>> stop, trainer_links links,
                  std::string data_dir) {
  std::thread([node, fn = std::move(fn), spec = std::move(spec), stop, links,
               data_dir]() mutable {
    auto out = run_function(node.home_system(), fn, spec, std::move(stop), links, data_dir);
    caf::anon_send(node, atoms::finished::value, spec.where.container_id, std::move(out));
  }).detach();
}

std::thread start_process(caf::actor node, uint64_t container, proc::spawn_spec spawn) {
  return std::thread([node, container, spawn = std::move(spawn)] {
    int ws = 0;
    int32_t child = 0;
    auto st = proc::spawn_and_wait(
      spawn,
      [&](pid_t pid) {
        child = static_cast<int32_t>(pid);
        caf::anon_send(node, atoms::attach::value, container, child, proof());
      },
      ws);
    std::string what = st ? proc::describe_wait_status(ws) : st.to_string();
    caf::anon_send(node, atoms::exited::value, container, child, static_cast<int32_t>(ws), what,
                   proof());
  });
}

} // namespace lagom::actors
