#include "ddp/rank_group.hpp"

#include "collective/group.hpp"
#include "collective/gloo_communicator.hpp"
#include "collective/nccl_communicator.hpp"
#include "collective/shm_communicator.hpp"

namespace lagom::ddp {

// Forwards every call and keeps the first failure.
class rank_group::recording final : public collective::communicator {
public:
  explicit recording(std::unique_ptr<collective::communicator> inner)
    : inner_(std::move(inner)) {}

  uint32_t rank() const noexcept override { return inner_->rank(); }
  uint32_t world_size() const noexcept override { return inner_->world_size(); }
  const char* backend() const noexcept override { return inner_->backend(); }
  status all_reduce(void* data, std::size_t count, collective::dtype t,
                    collective::reduce_op op) override {
    return keep(inner_->all_reduce(data, count, t, op));
  }
  status broadcast(void* data, std::size_t bytes, uint32_t root) override {
    return keep(inner_->broadcast(data, bytes, root));
  }
  status barrier() override { return keep(inner_->barrier()); }
  status all_gather(const void* in, std::size_t bytes, void* out) override {
    return keep(inner_->all_gather(in, bytes, out));
  }
  const status& failure() const { return failure_; }

private:
  status keep(status st) {
    if (!st && failure_.is_ok())
      failure_ = st;
    return st;
  }
  std::unique_ptr<collective::communicator> inner_;
  status failure_;
};

status rank_group::open(const group_spec& g, uint32_t rank, uint32_t world,
                        std::shared_ptr<collective::kv_store> store,
                        std::unique_ptr<rank_group>* out) {
  collective::group_options o;
  o.job = g.job;
  o.generation = g.generation;
  o.rank = rank;
  o.world_size = world;
  o.rendezvous_timeout = g.rendezvous_timeout;
  o.op_timeout = g.collective_timeout;
  status st;
  std::unique_ptr<collective::communicator> comm;
  if (g.backend == "shm") {
    comm = collective::make_shm(o, st);
  } else if (g.backend == "gloo") {
    collective::gloo_options go;
    go.hostname = g.host.empty() ? "127.0.0.1" : g.host;
    comm = collective::make_gloo(o, std::move(store), st, go);
  } else if (g.backend == "nccl") {
    comm = collective::make_nccl(o, std::move(store), 0, st);
  } else {
    return status::error(errc::invalid_argument, "unknown backend '" + g.backend + "'",
                         "backend");
  }
  if (!comm)
    return st;
  *out = adopt(g, std::move(comm));
  return status::ok();
}

std::unique_ptr<rank_group> rank_group::adopt(const group_spec& g,
                                              std::unique_ptr<collective::communicator> comm) {
  std::unique_ptr<rank_group> rg(new rank_group());
  rg->rank_ = comm->rank();
  rg->comm_ = std::make_unique<recording>(std::move(comm));
  if (g.timeline)
    rg->trace_ = std::make_unique<timeline>(rg->rank_);
  return rg;
}

rank_group::~rank_group() = default;

collective::communicator* rank_group::comm() { return comm_.get(); }

const status& rank_group::failure() const { return comm_->failure(); }

status rank_group::exit_status() const {
  const status& f = failure();
  return status::error(f.code(), "rank " + std::to_string(rank_) + ": " + f.message(),
                       f.where());
}

status rank_group::write_timeline(const std::string& path) const {
  if (!trace_)
    return status::ok();
  return write_chrome_trace(path, {trace_->chrome_events()});
}

} // namespace lagom::ddp
