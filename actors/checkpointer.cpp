// checkpointer: each message opens the run's storage::checkpoint_store (a
// directory; opening it also clears leftovers of a crashed save) and saves or
// loads through it. The actor is detached (a thread of its own): a save
// fsyncs, and must not hold one of CAF's scheduler threads meanwhile.
#include "actors/checkpointer.hpp"

#include <sys/stat.h>

#include <caf/all.hpp>

#include "actors/experiment_frames.hpp"
#include "actors/door.hpp"
#include "core/log.hpp"
#include "schemas/experiment.capnp.h"
#include "storage/checkpoint_store.hpp"
#include "storage/encoding.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

struct checkpointer_state {
  // Constant after construction.
  std::string data_dir;
  storage::checkpoint_options options;
  std::shared_ptr<spdlog::logger> log;
  // Counters (the files are the state): payload bytes that crossed the head,
  // and checkpoints a node wrote to shared storage and this one committed.
  uint64_t bytes_through_head = 0;
  uint64_t saves_through_head = 0;
  uint64_t staged_commits = 0;
};

using self_ptr = caf::stateful_actor<checkpointer_state>*;

std::string_view bytes_of(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}

caf::result<wire::frame> on_save(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  std::string experiment;
  uint32_t run = 0;
  storage::checkpoint_info info;
  std::string staged;
  uint64_t payload_bytes = 0;
  // The payload is saved from the frame's own words, inside the read.
  auto rd = wire::read<schema::CheckpointSave>(f, [&](schema::CheckpointSave::Reader r) {
    experiment = frames::text(r.getExperiment());
    run = r.getRun();
    staged = frames::text(r.getStaged());
    storage::checkpoint_store store;
    auto s = storage::checkpoint_store::open(st.data_dir, experiment, run, st.options, &store);
    if (s && !staged.empty())
      return store.commit(staged, r.getStep(), &info);
    payload_bytes = r.getPayload().size();
    return s ? store.save(r.getStep(), bytes_of(r.getPayload()),
                          wire::from_wire(r.getMetadata()), &info)
             : s;
  });
  if (!rd && info.path.empty())
    return wire::to_error(rd);
  if (!rd) // saved, but an old checkpoint could not be removed
    st.log->warn("{}/{}: retention: {}", experiment, run, rd.to_string());
  if (staged.empty()) {
    st.bytes_through_head += payload_bytes;
    ++st.saves_through_head;
  } else {
    ++st.staged_commits;
  }
  st.log->info("{}/{}: step {} ({} bytes) {} {}; through the head so far: {} bytes in {} "
               "saves, {} committed from shared storage",
               experiment, run, info.step, info.payload_bytes,
               staged.empty() ? "saved to" : "committed from shared storage to", info.path,
               st.bytes_through_head, st.saves_through_head, st.staged_commits);
  return wire::build<schema::CheckpointSaved>([&](schema::CheckpointSaved::Builder b) {
    b.setStep(info.step);
    b.setPath(info.path);
    b.setBytes(info.payload_bytes);
  });
}

caf::result<wire::frame> on_load(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  std::string experiment;
  uint32_t run = 0;
  auto rd = wire::read<schema::CheckpointLoad>(f, [&](schema::CheckpointLoad::Reader r) {
    experiment = frames::text(r.getExperiment());
    run = r.getRun();
    return storage::check_name("experiment", experiment, true);
  });
  if (rd && st.data_dir.empty())
    rd = status::error(errc::invalid_argument, "must not be empty", "data directory");
  if (!rd)
    return wire::to_error(rd);
  storage::checkpoint ck;
  std::vector<status> skipped;
  // A run that never saved has no directory: found = false, and none is made.
  std::string dir = st.data_dir + "/checkpoints/" + experiment + "/" + std::to_string(run);
  struct ::stat info;
  bool found = ::stat(dir.c_str(), &info) == 0;
  if (found) {
    storage::checkpoint_store store;
    rd = storage::checkpoint_store::open(st.data_dir, experiment, run, st.options, &store);
    if (rd)
      rd = store.load_latest(&ck, &skipped);
    found = rd.is_ok();
    if (rd.code() == errc::not_found)
      rd = status::ok();
    if (!rd)
      return wire::to_error(rd);
  }
  for (auto& s : skipped)
    st.log->warn("{}/{}: passed over {}", experiment, run, s.to_string());
  return wire::build<schema::CheckpointData>([&](schema::CheckpointData::Builder b) {
    b.setFound(found);
    b.setStep(ck.info.step);
    b.setPayload(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(ck.payload.data()),
                              ck.payload.size()));
    wire::to_wire(b.initMetadata(static_cast<unsigned>(ck.info.metadata.size())),
                  ck.info.metadata);
    auto list = b.initSkipped(static_cast<unsigned>(skipped.size()));
    for (unsigned i = 0; i < skipped.size(); ++i)
      list.set(i, skipped[i].to_string());
  });
}

caf::behavior checkpointer(self_ptr self, std::string data_dir, uint32_t keep_last,
                           std::shared_ptr<const supervision::membership> members) {
  self->state.data_dir = std::move(data_dir);
  self->state.options.keep_last = keep_last;
  self->state.log = log::make("head", "checkpointer");
  return {
    // Every request's frame must prove the cluster token (actors/door.hpp).
    [=](atoms::save, const wire::frame& f) -> caf::result<wire::frame> {
      if (auto ok = door_check(*self->state.log, f, "checkpointer: save", self->current_sender());
          !ok)
        return wire::to_error(ok);
      if (auto ok = fence_check(*self->state.log, members.get(), f, "checkpointer: save",
                                self->current_sender());
          !ok)
        return wire::to_error(ok);
      return on_save(self, f);
    },
    [=](atoms::load, const wire::frame& f) -> caf::result<wire::frame> {
      if (auto ok = door_check(*self->state.log, f, "checkpointer: load", self->current_sender());
          !ok)
        return wire::to_error(ok);
      return on_load(self, f);
    },
  };
}

} // namespace

caf::actor spawn_checkpointer(caf::actor_system& sys, std::string data_dir, uint32_t keep_last,
                              std::shared_ptr<const supervision::membership> members) {
  return sys.spawn<caf::detached>(checkpointer, std::move(data_dir), keep_last,
                                  std::move(members));
}

} // namespace lagom::actors
