// node_manager: one per machine (or per virtual node of an embedded cluster).
//
// Owns the node's CPUs, memory and GPUs (through its gpu_allocator), joins the
// cluster_manager, sends heartbeats, and runs launched functions in containers.
//
//   spawn --join--> [joining] --NodeAccepted--> [running] --head down--> exit
//                        \--error (wrong token)--> exit with that error
//
// Every message it accepts carries a frame that proves the cluster token
// (actors/door.hpp): the head's launches and stops, its workers' attach and
// results, its own watcher threads' notes; others get errc::unauthorized.
// Messages accepted while running:
//   (atoms::launch, frame FunctionLaunch, caf::actor owner)
//       -> frame FunctionResult | FunctionExit
//       Runs the named function on a thread of its own (never on a scheduler
//       thread) or, with process_containers, in a `lagom worker` process,
//       bound to the container's GPUs. The reply comes when it returns:
//       FunctionResult, or FunctionExit with errc::function_failed when it
//       threw or its worker process died ("killed by signal 9 ..."). An
//       unknown function or a container already running is an error reply.
//   (atoms::attach, uint64_t container, frame proof)
//       -> (frame FunctionLaunch, owner, registry, checkpointer, logs)
//       From a worker process: its launch and where its run reports to.
//   (atoms::feature_store, frame proof) -> caf::actor
//       From a worker process: the head's feature_store_router (null when
//       the head has none), where its run reads training datasets.
//   (atoms::finished, uint64_t container, frame) -> unit
//       From a container thread or worker process: its outcome.
//   (atoms::stop, uint64_t container, frame proof)  asks the function in that container to
//       return (train_context::stop_requested); no reply. A worker process
//       still running 2 s later (frozen, or deaf to the request) is killed
//       with SIGKILL, and its launch then fails as container_lost.
//   (atoms::cancel, std::string why) -> uint32 stopped   only from its own process (the
//       node's signal thread): every container is asked to stop as above, and
//       their outcomes become container_lost "node N stopped: why" (their
//       drivers restart them elsewhere, from their checkpoints, or record
//       them cancelled); answered once none runs (worker processes are
//       killed after 2 s at most), with how many ran when it was told.
//   (atoms::tick)  internal heartbeat timer. Heartbeats are requests carrying
//       this incarnation's epoch (from NodeAccepted); one answered
//       errc::fenced (the head dropped this incarnation: a partition longer
//       than its timeout) makes the node kill its containers' worker
//       processes (orphans), ask its thread containers to stop, and exit with
//       errc::fenced, which its supervisor answers with a new incarnation
//       (a new join, a new epoch).
// Every run's writes (checkpoints, metrics, logs) carry the epoch (thread
// containers through trainer_links, worker processes in LAGOM_EPOCH).
// It exits when the cluster_manager it joined goes down or refuses it; its
// worker processes are killed then, and its thread containers asked to stop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "gpu/gpu_discovery.hpp"
#include "lagom/train.hpp"

namespace lagom::actors {

struct node_options {
  std::string name;          // unique in the cluster, e.g. "node-1"
  std::string token;         // the cluster token the head expects
  std::string host = "127.0.0.1";
  uint32_t cpus = 1;
  uint64_t memory_mb = 1024;
  std::vector<gpu::device_info> gpus;
  /// Run each container as a `lagom worker` process (a crash costs that
  /// container only) instead of a thread of this process. Needs CAF's
  /// middleman loaded: the node publishes itself on 127.0.0.1 for workers.
  bool process_containers = false;
  std::string worker_binary;  // the `lagom` binary, for process_containers
  std::string data_dir;       // this node's data (TensorBoard files of its runs)
  /// How long the join (and the services request after it) may take.
  std::chrono::milliseconds join_timeout{10000};
  /// Not empty: a directory the head's checkpointer uses too (--shared-data):
  /// runs stage their checkpoints there (the head only commits them) and
  /// write TensorBoard files and timelines there instead of data_dir.
  std::string shared_data;
};

caf::actor spawn_node_manager(caf::actor_system& sys, node_options opts,
                              caf::actor cluster_manager,
                              std::shared_ptr<const function_registry> functions);

} // namespace lagom::actors
