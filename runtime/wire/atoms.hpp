// The verbs of lagom's actor protocols. A message is (verb atom, wire::frame)
// unless an actor header says otherwise; the frame's schema is named there.
// CAF 0.17 atoms hold at most 10 characters.
#pragma once

#include <chrono>

#include <caf/atom.hpp>

namespace lagom::atoms {

using join = caf::atom_constant<caf::atom("join")>;            // NodeRegistration
using heartbeat = caf::atom_constant<caf::atom("heartbeat")>;  // Heartbeat
using request = caf::atom_constant<caf::atom("request")>;      // ContainerRequest
using release = caf::atom_constant<caf::atom("release")>;      // ContainerRelease
using launch = caf::atom_constant<caf::atom("launch")>;        // FunctionLaunch
using status = caf::atom_constant<caf::atom("status")>;        // StatusRequest
using tick = caf::atom_constant<caf::atom("tick")>;            // timer, no frame
using bind = caf::atom_constant<caf::atom("bind")>;            // gpu_allocator
using unbind = caf::atom_constant<caf::atom("unbind")>;        // gpu_allocator
using finished = caf::atom_constant<caf::atom("finished")>;    // container thread done
using restart = caf::atom_constant<caf::atom("restart")>;      // supervisor backoff timer
using stop = caf::atom_constant<caf::atom("stop")>;            // (uint64 container) node_manager
using attach = caf::atom_constant<caf::atom("attach")>;        // worker process <-> node_manager
using exited = caf::atom_constant<caf::atom("exited")>;        // worker process ended
using await = caf::atom_constant<caf::atom("await")>;          // (nodes, running) -> unit
using reap = caf::atom_constant<caf::atom("reap")>;            // (container, pid) node_manager timer
using cancel = caf::atom_constant<caf::atom("cancel")>;        // (reason) a driver or node: stop all

// Experiments (schemas/experiment.capnp).
using create = caf::atom_constant<caf::atom("create")>;        // ExperimentCreate
using run_update = caf::atom_constant<caf::atom("runupdate")>; // RunUpdate
using exp_end = caf::atom_constant<caf::atom("expend")>;       // ExperimentEnd
using metrics = caf::atom_constant<caf::atom("metrics")>;      // MetricReport / MetricQuery
using query = caf::atom_constant<caf::atom("query")>;          // ExperimentQuery
using list = caf::atom_constant<caf::atom("list")>;            // ExperimentList
using save = caf::atom_constant<caf::atom("save")>;            // CheckpointSave
using load = caf::atom_constant<caf::atom("load")>;            // CheckpointLoad
using log = caf::atom_constant<caf::atom("log")>;              // LogRecord / LogQuery
using report = caf::atom_constant<caf::atom("report")>;        // TrainReport
using next = caf::atom_constant<caf::atom("next")>;            // trial loop: next trial
using services = caf::atom_constant<caf::atom("services")>;    // -> the head's service actors
using kv_set = caf::atom_constant<caf::atom("kvset")>;         // StoreSet (rendezvous_store)
using kv_get = caf::atom_constant<caf::atom("kvget")>;         // StoreGet (rendezvous_store)

// Feature store (schemas/feature_store.capnp).
using fs_write = caf::atom_constant<caf::atom("fswrite")>;     // FeatureWrite
using fs_part = caf::atom_constant<caf::atom("fspart")>;       // FeatureWritePart -> unit
using fs_read = caf::atom_constant<caf::atom("fsread")>;       // FeatureRead
using fs_lookup = caf::atom_constant<caf::atom("fslookup")>;   // FeatureLookup
using fs_list = caf::atom_constant<caf::atom("fslist")>;       // FeatureGroupRequest
using fs_stats = caf::atom_constant<caf::atom("fsstats")>;     // FeatureGroupRequest
using fs_drop = caf::atom_constant<caf::atom("fsdrop")>;       // FeatureGroupRequest
using fs_catalog = caf::atom_constant<caf::atom("fscatalog")>; // FeatureQuery -> FeatureCatalog
using fs_query = caf::atom_constant<caf::atom("fsquery")>;     // FeatureQuery -> FeatureRows
using fs_dataset = caf::atom_constant<caf::atom("fsdataset")>; // TrainingDatasetCreate / Rows
using fs_tdinfo = caf::atom_constant<caf::atom("fstdinfo")>;   // TrainingDatasetRequest
using fs_tdread = caf::atom_constant<caf::atom("fstdread")>;   // TrainingDatasetRequest
using fs_export = caf::atom_constant<caf::atom("fsexport")>;   // TrainingDatasetRequest
using feature_store = caf::atom_constant<caf::atom("fstore")>; // -> the router
using fs_online = caf::atom_constant<caf::atom("fsonline")>;   // -> uint16_t online door port

} // namespace lagom::atoms

namespace lagom {

/// How long a request to one of the head's services (cluster_manager's
/// bookkeeping, the registry, the checkpointer, the log aggregator, a
/// node's attach) may take before it fails as a timeout. The one bound
/// every driver, worker and client uses for such a request.
inline constexpr std::chrono::seconds service_timeout{30};

} // namespace lagom
