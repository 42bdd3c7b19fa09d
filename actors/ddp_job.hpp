// ddp_job: the driver of one data-parallel job (`all_reduce FN workers=N`), in
// the caller's process. A thin actor: every decision is ddp::job_policy's
// (runtime/ddp/job_policy.hpp); this file sends and receives.
//
//   launch -> registry? -> create experiment -> gang request (workers; with
//   min_workers < workers and none free: as many as there are, >= min) ->
//   generation g: launch rank r of k in each container with the group
//   "<job>.<g>" -> rank ends -> policy:
//     wait | tear_down (release every container: the others stop, or fail
//     their collective within collective_timeout) | restart (after a backoff:
//     ask again, generation g+1, attempt+1; functions resume from rank 0's
//     checkpoint) | finished | failed -> merge timelines, release, answer
//
// Ranks > 0 load rank 0's checkpoint (their launch names run 0 as parent) and
// never write one. Rank ends of an earlier generation are dropped.
// Progress: the caller's on_progress sees every rank's events; when every
// rank of the generation has reported the end of epoch e (a report with
// test_accuracy), one report of run 0 with the averaged metrics and
// "rank<r>.step_ms" of each rank.
//
// Messages:
//   (atoms::launch) -> unit              starts; answers when the job ended
//   (atoms::report, frame TrainReport) -> frame TrainDecision (stop after a
//                                          tear-down)
//   (atoms::restart, uint64 generation)  internal: the backoff ended
//   (atoms::release, frame ContainerLost) containers died with a node (logged;
//                                          the rank's end reports it)
// It quits after answering; its death makes cluster_manager reclaim the grant.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "ddp/job_policy.hpp"
#include "lagom/cluster.hpp"

namespace lagom::actors {

struct ddp_job_report {
  status overall;
  collective_result result;
};

/// `hosts` maps node names to their hosts (the backend: one host -> shm);
/// trace files merge under `data_dir` (empty: none).
caf::actor spawn_ddp_job(caf::actor_system& sys, caf::actor cluster_manager,
                         std::string function, collective_options opts,
                         std::string data_dir, std::map<std::string, std::string> hosts,
                         std::shared_ptr<ddp_job_report> report);

/// The policy's options from the API's.
ddp::job_options to_job_options(const collective_options& o);

} // namespace lagom::actors
