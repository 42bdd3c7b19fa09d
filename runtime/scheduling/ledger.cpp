#include "scheduling/ledger.hpp"

#include <algorithm>
#include <set>

#include "scheduling/placement.hpp"

namespace lagom::scheduling {

namespace {

using node_map = std::map<uint32_t, node_usage>;

std::string where_of(const request& r) { return "request " + std::to_string(r.id); }

std::string describe(const resources& r) {
  return std::to_string(r.cpus) + " cpus, " + std::to_string(r.memory_mb) + " MB, " +
         std::to_string(r.gpus) + " gpus";
}

// Every node as placement sees it: its capacity when `empty`, else what is free.
std::vector<candidate> snapshot(const node_map& nodes, bool empty) {
  std::vector<candidate> out;
  for (const auto& [id, n] : nodes) {
    candidate c;
    c.node_id = id;
    c.free = n.spec.capacity;
    if (!empty) {
      c.free.cpus -= n.used.cpus;
      c.free.memory_mb -= n.used.memory_mb;
      c.free.gpus = static_cast<uint32_t>(n.free_gpus.size());
    }
    out.push_back(c);
  }
  return out;
}

// The first resource one container asks more of than any node has, e.g.
// "each container asks 4 gpus; the largest node has 1"; empty when none.
std::string one_short(const resources& each, const tally& t, const std::string& has) {
  auto say = [&](uint64_t asks, uint64_t most, const char* what, const char* unit) {
    return "each container asks " + std::to_string(asks) + what + "; " + has + " " +
           std::to_string(most) + unit;
  };
  if (each.cpus > t.max_cpus)
    return say(each.cpus, t.max_cpus, " cpus", "");
  if (each.memory_mb > t.max_memory_mb)
    return say(each.memory_mb, t.max_memory_mb, " MB of memory", " MB");
  if (each.gpus > t.max_gpus)
    return say(each.gpus, t.max_gpus, " gpus", "");
  return {};
}

// The first resource a whole gang asks more of than all nodes together have,
// e.g. "needs 6 cpus in a gang, 2 free"; empty when none.
std::string gang_short(const request& r, const tally& t, const std::string& tail) {
  auto say = [&](uint64_t each, uint64_t have, const char* what, const char* unit) {
    return "needs " + std::to_string(each * r.count) + what + " in a gang, " +
           std::to_string(have) + unit + tail;
  };
  if (uint64_t{r.each.cpus} * r.count > t.sum_cpus)
    return say(r.each.cpus, t.sum_cpus, " cpus", "");
  if (r.each.memory_mb * r.count > t.sum_memory_mb)
    return say(r.each.memory_mb, t.sum_memory_mb, " MB of memory", " MB");
  if (uint64_t{r.each.gpus} * r.count > t.sum_gpus)
    return say(r.each.gpus, t.sum_gpus, " gpus", "");
  return {};
}

// ok, or infeasible: `r` could not be placed even on the empty cluster.
status feasibility(const request& r, const node_map& nodes) {
  auto fail = [&](std::string msg) { return status::error(errc::infeasible, msg, where_of(r)); };
  if (nodes.empty())
    return fail("the cluster has no nodes");
  tally t = count_up(snapshot(nodes, true), r.each);
  if (auto msg = one_short(r.each, t, "the largest node has"); !msg.empty())
    return fail(msg);
  if (t.fits == 0)
    return fail("each container asks " + describe(r.each) + "; no node has all of them");
  if (r.gang && t.fits < r.count) {
    if (auto msg = gang_short(r, t, " in the cluster"); !msg.empty())
      return fail(msg);
    return fail("a gang of " + std::to_string(r.count) + " fits at most " +
                std::to_string(t.fits) + " even on the empty cluster");
  }
  return status::ok();
}

// Why a feasible `r` cannot be placed now (unavailable).
status unavailability(const request& r, const node_map& nodes) {
  auto fail = [&](std::string msg) { return status::error(errc::unavailable, msg, where_of(r)); };
  tally t = count_up(snapshot(nodes, false), r.each);
  if (r.gang) {
    if (auto msg = gang_short(r, t, " free"); !msg.empty())
      return fail(msg);
    return fail("a gang of " + std::to_string(r.count) + " fits only " + std::to_string(t.fits) +
                " now");
  }
  if (auto msg = one_short(r.each, t, "the most free on a node is"); !msg.empty())
    return fail(msg);
  return fail("each container asks " + describe(r.each) + "; no node has all of them free");
}

// Nodes for `r` now: all `count` for a gang, at least one otherwise; else empty.
std::vector<uint32_t> place_now(const request& r, const node_map& nodes) {
  auto picks = choose_nodes(snapshot(nodes, false), r.each, r.count, r.place);
  if (r.gang && picks.size() < r.count)
    picks.clear();
  return picks;
}

} // namespace

status ledger::add_node(const node_spec& spec) {
  std::string where = "node " + std::to_string(spec.id);
  if (nodes_.count(spec.id) > 0)
    return status::error(errc::invalid_argument, "duplicate node id", where);
  for (const auto& [id, n] : nodes_)
    if (n.spec.name == spec.name)
      return status::error(errc::invalid_argument,
                           "duplicate node name '" + spec.name + "' (node " + std::to_string(id) + ")",
                           where);
  if (spec.capacity.gpus != spec.gpu_ordinals.size())
    return status::error(errc::invalid_argument,
                         "capacity says " + std::to_string(spec.capacity.gpus) + " gpus but " +
                             std::to_string(spec.gpu_ordinals.size()) + " ordinals are listed",
                         where);
  std::set<uint32_t> ordinals(spec.gpu_ordinals.begin(), spec.gpu_ordinals.end());
  if (ordinals.size() != spec.gpu_ordinals.size())
    return status::error(errc::invalid_argument, "a gpu ordinal is listed twice", where);
  node_usage n;
  n.spec = spec;
  n.free_gpus.assign(ordinals.begin(), ordinals.end());
  nodes_.emplace(spec.id, std::move(n));
  return status::ok();
}

std::vector<container> ledger::remove_node(uint32_t node_id) {
  std::vector<container> lost;
  if (nodes_.erase(node_id) == 0)
    return lost;
  for (auto it = containers_.begin(); it != containers_.end();) {
    if (it->second.node_id == node_id) {
      lost.push_back(std::move(it->second));
      it = containers_.erase(it);
    } else {
      ++it;
    }
  }
  return lost;
}

outcome ledger::submit(const request& req) {
  outcome out;
  auto invalid = [&](std::string msg) {
    out.why = status::error(errc::invalid_argument, msg, where_of(req));
    return out;
  };
  if (req.count == 0)
    return invalid("count is 0");
  if (req.each.cpus == 0)
    return invalid("each container asks 0 cpus");
  bool known = std::any_of(queue_.begin(), queue_.end(),
                           [&](const request& q) { return q.id == req.id; }) ||
               std::any_of(containers_.begin(), containers_.end(),
                           [&](const auto& c) { return c.second.request_id == req.id; });
  if (known)
    return invalid("request id already in use");
  if (auto s = feasibility(req, nodes_); !s) {
    out.why = s;
    return out;
  }
  if (queue_.empty()) {
    if (auto picks = place_now(req, nodes_); !picks.empty()) {
      out.what = outcome::granted;
      out.granted_containers = commit(req, picks);
      return out;
    }
    out.why = unavailability(req, nodes_);
  } else {
    size_t n = queue_.size();
    out.why = status::error(errc::unavailable,
                            n == 1 ? "a queued request is ahead of it"
                                   : std::to_string(n) + " queued requests are ahead of it",
                            where_of(req));
  }
  if (req.queue) {
    queue_.push_back(req);
    out.what = outcome::queued;
  }
  return out;
}

status ledger::release(const std::vector<uint64_t>& container_ids) {
  size_t unknown = 0;
  uint64_t first_unknown = 0;
  for (uint64_t id : container_ids) {
    auto it = containers_.find(id);
    if (it == containers_.end()) {
      if (unknown++ == 0)
        first_unknown = id;
      continue;
    }
    const container& c = it->second;
    node_usage& n = nodes_.at(c.node_id);
    n.used.cpus -= c.cpus;
    n.used.memory_mb -= c.memory_mb;
    n.used.gpus -= static_cast<uint32_t>(c.gpu_ids.size());
    n.containers -= 1;
    n.free_gpus.insert(n.free_gpus.end(), c.gpu_ids.begin(), c.gpu_ids.end());
    std::sort(n.free_gpus.begin(), n.free_gpus.end());
    containers_.erase(it);
  }
  if (unknown == 0)
    return status::ok();
  std::string msg = "no container " + std::to_string(first_unknown) + " is granted";
  if (unknown > 1)
    msg += " (" + std::to_string(unknown) + " ids unknown)";
  return status::error(errc::not_found, msg, "release");
}

std::vector<grant> ledger::retry(std::vector<std::pair<request, status>>* dropped) {
  std::deque<request> kept;
  for (auto& r : queue_) {
    if (auto s = feasibility(r, nodes_); !s) {
      if (dropped != nullptr)
        dropped->emplace_back(r, s);
    } else {
      kept.push_back(std::move(r));
    }
  }
  queue_.swap(kept);
  std::vector<grant> out;
  while (!queue_.empty()) {
    auto picks = place_now(queue_.front(), nodes_);
    if (picks.empty())
      break;
    out.push_back(commit(queue_.front(), picks));
    queue_.pop_front();
  }
  return out;
}

size_t ledger::cancel_queued(const std::string& owner) {
  size_t before = queue_.size();
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                              [&](const request& r) { return r.owner == owner; }),
               queue_.end());
  return before - queue_.size();
}

resources ledger::free_on(uint32_t node_id) const {
  auto it = nodes_.find(node_id);
  if (it == nodes_.end())
    return {};
  const node_usage& n = it->second;
  return {n.spec.capacity.cpus - n.used.cpus, n.spec.capacity.memory_mb - n.used.memory_mb,
          static_cast<uint32_t>(n.free_gpus.size())};
}

grant ledger::commit(const request& req, const std::vector<uint32_t>& node_ids) {
  grant g;
  g.request_id = req.id;
  for (uint32_t node_id : node_ids) {
    node_usage& n = nodes_.at(node_id);
    container c;
    c.id = next_container_id_++;
    c.request_id = req.id;
    c.owner = req.owner;
    c.node_id = node_id;
    c.node_name = n.spec.name;
    c.cpus = req.each.cpus;
    c.memory_mb = req.each.memory_mb;
    c.gpu_ids.assign(n.free_gpus.begin(), n.free_gpus.begin() + req.each.gpus);
    n.free_gpus.erase(n.free_gpus.begin(), n.free_gpus.begin() + req.each.gpus);
    n.used.cpus += c.cpus;
    n.used.memory_mb += c.memory_mb;
    n.used.gpus += req.each.gpus;
    n.containers += 1;
    containers_.emplace(c.id, c);
    g.containers.push_back(std::move(c));
  }
  return g;
}

} // namespace lagom::scheduling
