// scheduling::ledger: the cluster's resource ledger and container placement.
//
// Plain C++ (no CAF); cluster_manager owns one and calls it from its handlers.
// The ledger knows every live node's capacity and GPU ordinals, every granted
// container, and a FIFO queue of requests waiting for resources.
//
// Assumptions and priority order (as in Ray's hybrid policy):
//  1. A request is INFEASIBLE when no cluster of the current nodes, all empty,
//     could ever hold it: one container larger than every node, or a gang
//     larger than the whole cluster. It is rejected with a reason naming the
//     resource, never queued.
//  2. Otherwise it is placed now if it fits. A gang gets all `count` containers
//     or none. A non-gang request gets as many as fit now (at least one); the
//     rest are not kept.
//  3. If nothing can be placed now: queued (request.queue) or UNAVAILABLE.
//  4. The queue is strict FIFO: a queued request blocks those behind it, so a
//     large gang is never starved by small requests. retry() grants from the
//     head of the queue while the head fits. While anything is queued, a new
//     request is not placed ahead of it: it is queued behind (request.queue)
//     or rejected as unavailable.
//  Placement: PACK puts each container on the node that fits with the least
//  free cpus left (best fit), ties broken by lower node id. SPREAD puts each
//  container on the node holding the fewest containers of this request, then
//  the most free cpus, then lower node id.
//  GPUs: a container asking g GPUs gets g concrete ordinals of one node, the
//  lowest free ones.
//
// Threading: not thread-safe; one owner (the cluster_manager actor).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::scheduling {

struct resources {
  uint32_t cpus = 0;
  uint64_t memory_mb = 0;
  uint32_t gpus = 0;
};

enum class placement { pack, spread };

struct node_spec {
  uint32_t id = 0;
  std::string name;
  resources capacity;                 // capacity.gpus == gpu_ordinals.size()
  std::vector<uint32_t> gpu_ordinals; // device ordinals on that node
};

struct request {
  uint64_t id = 0;                    // chosen by the caller, unique
  std::string owner;
  uint32_t count = 1;
  resources each;
  bool gang = false;
  placement place = placement::pack;
  bool queue = false;
};

struct container {
  uint64_t id = 0;                    // chosen by the ledger, unique, never reused
  uint64_t request_id = 0;
  std::string owner;
  uint32_t node_id = 0;
  std::string node_name;
  uint32_t cpus = 0;
  uint64_t memory_mb = 0;
  std::vector<uint32_t> gpu_ids;
};

struct grant {
  uint64_t request_id = 0;
  std::vector<container> containers;
};

/// What submit() did with a request.
struct outcome {
  enum kind { granted, queued, rejected } what = rejected;
  grant granted_containers;           // when what == granted
  status why;                         // when rejected: invalid_argument, unavailable
                                      // or infeasible; when queued: the unavailable
                                      // reason it waits on; ok when granted
};

struct node_usage {
  node_spec spec;
  resources used;
  std::vector<uint32_t> free_gpus;    // ascending
  uint32_t containers = 0;
};

class ledger {
public:
  /// Adds a node. Fails (invalid_argument) on a duplicate id or name, when
  /// capacity.gpus differs from gpu_ordinals.size(), or on a repeated ordinal.
  status add_node(const node_spec& spec);

  /// Removes a node and every container on it. Returns those containers (now
  /// lost) so their owners can be told. Unknown id: returns nothing.
  std::vector<container> remove_node(uint32_t node_id);

  /// Places, queues or rejects `req` (see the header comment). A request with
  /// count == 0, zero cpus, or the id of a queued or granted request is
  /// rejected as invalid_argument. Container ids are taken only when granted.
  outcome submit(const request& req);

  /// Frees the given containers. Unknown ids are reported in the status
  /// (not_found naming the first one) but the known ones are still freed.
  status release(const std::vector<uint64_t>& container_ids);

  /// Grants queued requests from the head of the queue while the head fits.
  /// Call after release(), add_node() or remove_node(). Every queued request
  /// that became infeasible (a node left), wherever it stands in the queue, is
  /// first dropped and reported with its reason (infeasible).
  std::vector<grant> retry(std::vector<std::pair<request, status>>* dropped = nullptr);

  /// Removes queued requests of `owner`; returns how many.
  size_t cancel_queued(const std::string& owner);

  const std::map<uint32_t, node_usage>& nodes() const { return nodes_; }
  const std::map<uint64_t, container>& containers() const { return containers_; }
  size_t queued() const { return queue_.size(); }
  resources free_on(uint32_t node_id) const;

private:
  /// Books one container of `req` on each of `node_ids` (already chosen to fit).
  grant commit(const request& req, const std::vector<uint32_t>& node_ids);

  std::map<uint32_t, node_usage> nodes_;
  std::map<uint64_t, container> containers_;
  std::deque<request> queue_;
  uint64_t next_container_id_ = 1;
};

} // namespace lagom::scheduling
