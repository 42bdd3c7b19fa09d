// feature_store_router: placement by name, fan-out for listings and queries.
#include "actors/feature_store_router.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>

#include <caf/all.hpp>

#include "actors/experiment_frames.hpp"
#include "actors/feature_frames.hpp"
#include "actors/feature_store_shard.hpp"
#include "schemas/feature_store.capnp.h"
#include "storage/feature_query.hpp"
#include "wire/atoms.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

constexpr auto shard_timeout = std::chrono::seconds(60);

struct router_state {
  std::vector<caf::actor> shards;
};

using self_ptr = caf::stateful_actor<router_state>*;

// The group a frame of schema T names (its `group` field).
template <class T>
status group_of(const wire::frame& f, std::string* group) {
  return wire::read<T>(f, [&](typename T::Reader r) {
    *group = frames::text(r.getGroup());
    return status::ok();
  });
}

wire::frame group_list_request() {
  return wire::build<schema::FeatureGroupRequest>([](schema::FeatureGroupRequest::Builder) {});
}

// Hands (atom, f) to the shard of the dataset a TrainingDatasetRequest names.
template <class Atom>
caf::result<caf::message> route_dataset(self_ptr self, Atom atom, const wire::frame& f) {
  std::string name;
  if (auto st = wire::read<schema::TrainingDatasetRequest>(f, [&](auto r) {
        name = frames::text(r.getName());
        return status::ok();
      });
      !st)
    return wire::to_error(st);
  auto& shards = self->state.shards;
  return self->delegate(shards[shard_of_group(name, static_cast<uint32_t>(shards.size()))], atom,
                        f);
}

// Hands (atom, f) to the shard of the group f names; its reply goes to the client.
template <class T, class Atom>
caf::result<caf::message> route(self_ptr self, Atom atom, const wire::frame& f) {
  std::string group;
  if (auto st = group_of<T>(f, &group); !st)
    return wire::to_error(st);
  auto& shards = self->state.shards;
  return self->delegate(shards[shard_of_group(group, static_cast<uint32_t>(shards.size()))],
                        atom, f);
}

// Asks every shard (atom, f); `done` gets the frames in shard order, or the
// first error goes to `rp`.
template <class Atom, class Done>
void fan_out(self_ptr self, Atom atom, const wire::frame& f,
             caf::response_promise rp, Done done) {
  struct gather {
    std::vector<wire::frame> frames;
    size_t left = 0;
    bool failed = false;
  };
  auto g = std::make_shared<gather>();
  g->frames.resize(self->state.shards.size());
  g->left = g->frames.size();
  for (size_t i = 0; i < self->state.shards.size(); ++i)
    self->request(self->state.shards[i], shard_timeout, atom, f)
      .then(
        [=](wire::frame& reply) mutable {
          if (g->failed)
            return;
          g->frames[i] = std::move(reply);
          if (--g->left == 0)
            done(std::move(g->frames), rp);
        },
        [=](caf::error& err) mutable {
          if (g->failed)
            return;
          g->failed = true;
          rp.deliver(err);
        });
}

caf::result<caf::message> on_list(self_ptr self, const wire::frame& f) {
  std::string group;
  if (auto st = group_of<schema::FeatureGroupRequest>(f, &group); !st)
    return wire::to_error(st);
  if (!group.empty())
    return route<schema::FeatureGroupRequest>(self, atoms::fs_list::value, f);
  auto rp = self->make_response_promise();
  fan_out(self, atoms::fs_list::value, f, rp,
          [](std::vector<wire::frame> parts, caf::response_promise& rp) {
            std::vector<std::pair<storage::version_info, uint32_t>> all;
            for (const auto& p : parts) {
              auto st = wire::read<schema::FeatureGroupList>(p, [&](auto r) {
                for (auto v : r.getGroups()) {
                  storage::version_info info;
                  if (auto s = frames::from_wire(v, &info); !s)
                    return s;
                  all.emplace_back(std::move(info), v.getShard());
                }
                return status::ok();
              });
              if (!st)
                return rp.deliver(wire::to_error(st)), void();
            }
            std::sort(all.begin(), all.end(),
                      [](const auto& a, const auto& b) { return a.first.group < b.first.group; });
            rp.deliver(wire::build<schema::FeatureGroupList>([&](auto b) {
              auto gs = b.initGroups(static_cast<unsigned>(all.size()));
              for (unsigned i = 0; i < all.size(); ++i)
                frames::to_wire(gs[i], all[i].first, all[i].second);
            }));
          });
  return rp;
}

// The catalogs of every shard, merged; shard_of gets where each group lives.
status merge_catalogs(const std::vector<wire::frame>& parts, storage::feature_catalog* cat,
                      std::map<std::string, size_t>* shard_of) {
  for (size_t i = 0; i < parts.size(); ++i) {
    storage::feature_catalog c;
    auto st = wire::read<schema::FeatureCatalog>(parts[i], [&](auto r) {
      return frames::from_wire(r, &c);
    });
    if (!st)
      return st;
    for (auto& [g, s] : c) {
      (*shard_of)[g] = i;
      (*cat)[g] = std::move(s);
    }
  }
  return status::ok();
}

caf::result<caf::message> on_catalog(self_ptr self, const wire::frame& f) {
  auto rp = self->make_response_promise();
  fan_out(self, atoms::fs_catalog::value, f, rp,
          [](std::vector<wire::frame> parts, caf::response_promise& rp) {
            storage::feature_catalog cat;
            std::map<std::string, size_t> where;
            if (auto st = merge_catalogs(parts, &cat, &where); !st)
              return rp.deliver(wire::to_error(st)), void();
            rp.deliver(wire::build<schema::FeatureCatalog>([&](auto b) {
              frames::to_wire(b, cat);
            }));
          });
  return rp;
}

// Reads each plan group from its shard, joins, and hands the rows to `done`;
// an error goes to `rp`.
using rows_done = std::function<void(storage::feature_frame&&, caf::response_promise&)>;
void read_and_join(self_ptr self, std::shared_ptr<storage::feature_plan> plan,
                   std::map<std::string, size_t> where, caf::response_promise rp,
                   rows_done done) {
  struct gather {
    std::vector<storage::feature_frame> frames;
    size_t left = 0;
    bool failed = false;
  };
  auto g = std::make_shared<gather>();
  g->frames.resize(plan->groups.size());
  g->left = g->frames.size();
  for (size_t i = 0; i < plan->groups.size(); ++i) {
    const auto& gr = plan->groups[i];
    auto req = wire::build<schema::FeatureRead>([&](schema::FeatureRead::Builder b) {
      b.setGroup(gr.name);
      b.setVersion(gr.read.version);
      auto cols = b.initColumns(static_cast<unsigned>(gr.read.columns.size()));
      for (unsigned c = 0; c < gr.read.columns.size(); ++c)
        cols.set(c, gr.read.columns[c]);
    });
    self->request(self->state.shards[where[gr.name]], shard_timeout, atoms::fs_read::value, req)
      .then(
        [=](wire::frame& reply) mutable {
          if (g->failed)
            return;
          auto st = wire::read<schema::FeatureRows>(reply, [&](auto r) {
            return frames::from_wire(r, &g->frames[i]);
          });
          if (!st) {
            g->failed = true;
            return rp.deliver(wire::to_error(st)), void();
          }
          if (--g->left > 0)
            return;
          storage::feature_frame out;
          if (auto js = storage::join_features(*plan, std::move(g->frames), &out); !js)
            return rp.deliver(wire::to_error(js)), void();
          done(std::move(out), rp);
        },
        [=](caf::error& err) mutable {
          if (g->failed)
            return;
          g->failed = true;
          rp.deliver(err);
        });
  }
}

caf::result<caf::message> on_query(self_ptr self, const wire::frame& f) {
  auto q = std::make_shared<storage::feature_query>();
  if (auto st = wire::read<schema::FeatureQuery>(f, [&](auto r) { return frames::from_wire(r, q.get()); });
      !st)
    return wire::to_error(st);
  auto rp = self->make_response_promise();
  fan_out(self, atoms::fs_catalog::value, f, rp,
          [self, q](std::vector<wire::frame> parts, caf::response_promise& rp) {
            storage::feature_catalog cat;
            std::map<std::string, size_t> where;
            auto plan = std::make_shared<storage::feature_plan>();
            auto st = merge_catalogs(parts, &cat, &where);
            if (st)
              st = storage::plan_features(cat, *q, plan.get());
            if (!st)
              return rp.deliver(wire::to_error(st)), void();
            read_and_join(self, plan, std::move(where), rp,
                          [](storage::feature_frame&& out, caf::response_promise& rp) {
                            rp.deliver(wire::build<schema::FeatureRows>(
                              [&](auto b) { frames::to_wire(b, out); }));
                          });
          });
  return rp;
}

// create_training_dataset across shards: pin every group's newest version
// (fs_list), plan over the merged catalogs, read and join, then the dataset's
// shard stores the rows (TrainingDatasetRows).
caf::result<caf::message> on_dataset(self_ptr self, const wire::frame& f) {
  auto spec = std::make_shared<storage::training_dataset_spec>();
  if (auto st = wire::read<schema::TrainingDatasetCreate>(f, [&](auto r) {
        return frames::from_wire(r, spec.get());
      });
      !st)
    return wire::to_error(st);
  if (auto st = storage::check_feature_name("training dataset", spec->name); !st)
    return wire::to_error(st);
  auto rp = self->make_response_promise();
  auto list = group_list_request();
  fan_out(self, atoms::fs_list::value, list, rp,
          [self, spec](std::vector<wire::frame> parts, caf::response_promise& rp) {
            auto q = std::make_shared<storage::feature_query>(spec->query);
            if (std::find(q->features.begin(), q->features.end(), spec->label) == q->features.end())
              q->features.push_back(spec->label);
            for (const auto& p : parts) {
              auto st = wire::read<schema::FeatureGroupList>(p, [&](auto r) {
                for (auto v : r.getGroups())
                  q->versions.emplace(frames::text(v.getGroup()), v.getVersion());
                return status::ok();
              });
              if (!st)
                return rp.deliver(wire::to_error(st)), void();
            }
            auto qf = wire::build<schema::FeatureQuery>([&](auto b) { frames::to_wire(b, *q); });
            fan_out(self, atoms::fs_catalog::value, qf, rp,
                    [self, spec, q](std::vector<wire::frame> cats, caf::response_promise& rp) {
              storage::feature_catalog cat;
              std::map<std::string, size_t> where;
              auto plan = std::make_shared<storage::feature_plan>();
              auto st = merge_catalogs(cats, &cat, &where);
              if (st)
                st = storage::plan_features(cat, *q, plan.get());
              if (!st)
                return rp.deliver(wire::to_error(st)), void();
              std::map<std::string, uint32_t> groups;
              for (const auto& g : plan->groups)
                groups[g.name] = g.read.version;
              read_and_join(self, plan, std::move(where), rp,
                            [self, spec, plan, groups](storage::feature_frame&& rows,
                                                       caf::response_promise& rp) {
                auto req = wire::build<schema::TrainingDatasetRows>([&](auto b) {
                  frames::to_wire(b.initCreate(), *spec);
                  auto rs = b.initResolved(static_cast<unsigned>(plan->features.size()));
                  for (unsigned i = 0; i < plan->features.size(); ++i) {
                    rs[i].setGroup(plan->features[i].group);
                    rs[i].setFeature(plan->features[i].feature);
                    rs[i].setIsKey(plan->features[i].is_key);
                  }
                  auto gs = b.initGroups(static_cast<unsigned>(groups.size()));
                  unsigned i = 0;
                  for (const auto& [g, v] : groups) {
                    gs[i].setGroup(g);
                    gs[i++].setVersion(v);
                  }
                  frames::to_wire(b.initRows(), rows);
                });
                auto& sh = self->state.shards;
                self->request(sh[shard_of_group(spec->name, static_cast<uint32_t>(sh.size()))],
                              shard_timeout, atoms::fs_dataset::value, req)
                  .then([rp](wire::frame& info) mutable { rp.deliver(std::move(info)); },
                        [rp](caf::error& err) mutable { rp.deliver(err); });
              });
            });
          });
  return rp;
}

caf::behavior feature_store_router(self_ptr self, std::vector<caf::actor> shards) {
  for (auto& s : shards)
    self->link_to(s);
  self->state.shards = std::move(shards);
  return {
    [=](atoms::fs_write a, const wire::frame& f) { return route<schema::FeatureWrite>(self, a, f); },
    [=](atoms::fs_part a, const wire::frame& f) {
      return route<schema::FeatureWritePart>(self, a, f);
    },
    [=](atoms::fs_read a, const wire::frame& f) { return route<schema::FeatureRead>(self, a, f); },
    [=](atoms::fs_lookup a, const wire::frame& f) {
      return route<schema::FeatureLookup>(self, a, f);
    },
    [=](atoms::fs_stats a, const wire::frame& f) {
      return route<schema::FeatureGroupRequest>(self, a, f);
    },
    [=](atoms::fs_drop a, const wire::frame& f) -> caf::result<caf::message> {
      std::string group;
      if (auto st = group_of<schema::FeatureGroupRequest>(f, &group); !st)
        return wire::to_error(st);
      auto& sh = self->state.shards;
      return self->delegate(sh[shard_of_group(group, static_cast<uint32_t>(sh.size()))], a, f);
    },
    [=](atoms::fs_list, const wire::frame& f) { return on_list(self, f); },
    [=](atoms::fs_catalog, const wire::frame& f) { return on_catalog(self, f); },
    [=](atoms::fs_query, const wire::frame& f) { return on_query(self, f); },
    [=](atoms::fs_dataset, const wire::frame& f) { return on_dataset(self, f); },
    [=](atoms::fs_tdinfo a, const wire::frame& f) { return route_dataset(self, a, f); },
    [=](atoms::fs_tdread a, const wire::frame& f) { return route_dataset(self, a, f); },
    [=](atoms::fs_export a, const wire::frame& f) { return route_dataset(self, a, f); },
  };
}

} // namespace

uint32_t shard_of_group(std::string_view name, uint32_t shards) noexcept {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : name) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return shards == 0 ? 0 : static_cast<uint32_t>(h % shards);
}

caf::actor spawn_feature_store_router(caf::actor_system& sys, std::vector<caf::actor> shards) {
  return sys.spawn(feature_store_router, std::move(shards));
}

status spawn_feature_store(caf::actor_system& sys, const std::string& dir, uint32_t shards,
                           caf::actor& router,
                           std::vector<std::shared_ptr<storage::feature_store>>* stores) {
  if (shards == 0)
    return status::error(errc::invalid_argument, "must be at least 1", "feature store shards");
  std::vector<caf::actor> made;
  std::vector<std::shared_ptr<storage::feature_store>> opened(shards);
  for (uint32_t k = 0; k < shards; ++k) {
    caf::actor a;
    if (auto st = spawn_feature_store_shard(sys, dir + "/shard-" + std::to_string(k), k, a,
                                            &opened[k]);
        !st) {
      for (auto& m : made)
        caf::anon_send_exit(m, caf::exit_reason::user_shutdown);
      return status::error(st.code(), "cannot open a feature store shard: " + st.message(),
                           st.where().empty() ? dir + "/shard-" + std::to_string(k) : st.where());
    }
    made.push_back(a);
  }
  router = spawn_feature_store_router(sys, std::move(made));
  if (stores != nullptr)
    *stores = std::move(opened);
  return status::ok();
}

} // namespace lagom::actors
