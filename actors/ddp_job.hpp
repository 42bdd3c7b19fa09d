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
//   (atoms::kv_set, frame StoreSet) / (atoms::kv_get, frame StoreGet)
//       -> frame StoreValue: the ranks' rendezvous (gloo addresses, nccl's
//       unique id), forwarded to the job's own rendezvous_store (spawned
//       with the job, linked to it): every rank reaches it as the owner of
//       its launch, across hosts; keys are under "<job>.<generation>/".
// Backend per generation: ddp::choose_backend over the ranks' hosts (the
// `backend` option: auto, shm, gloo, nccl); gloo ranks listen on their
// node's host (CollectiveGroup.host).
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

/// `hosts` maps node names to their hosts (the backend: one host -> shm,
/// several -> gloo);
/// trace files merge under `data_dir` (empty: none).
caf::actor spawn_ddp_job(caf::actor_system& sys, caf::actor cluster_manager,
                         std::string function, collective_options opts,
                         std::string data_dir, std::map<std::string, std::string> hosts,
                         std::shared_ptr<ddp_job_report> report);

/// The policy's options from the API's.
ddp::job_options to_job_options(const collective_options& o);

} // namespace lagom::actors
