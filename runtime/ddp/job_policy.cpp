#include "ddp/job_policy.hpp"

#include <algorithm>

namespace lagom::ddp {

namespace {
status bad(const std::string& field, const std::string& msg) {
  return status::error(errc::invalid_argument, msg, field);
}
} // namespace

status validate(const job_options& o, const std::vector<node_capacity>& nodes) {
  if (o.workers == 0)
    return bad("workers", "must be at least 1 (ranks of the job)");
  if (o.min_workers > o.workers)
    return bad("min_workers", "min_workers=" + std::to_string(o.min_workers) +
                                  " is more than workers=" + std::to_string(o.workers));
  if (!(o.bucket_mb > 0))
    return bad("bucket_mb", "must be > 0 (MiB per gradient bucket), got " +
                                std::to_string(o.bucket_mb));
  if (o.accumulate == 0)
    return bad("accumulate", "must be at least 1 (micro-batches per all-reduce)");
  if (o.backend != "auto" && o.backend != "shm" && o.backend != "gloo" && o.backend != "nccl")
    return bad("backend", "'" + o.backend + "' is not a backend: auto, shm, gloo or nccl");
  if (o.backend == "nccl" && o.gpus == 0)
    return bad("backend", "nccl needs a GPU per rank (gpus=1 or more)");
  if (o.cpus == 0)
    return bad("cpus", "must be at least 1 per rank");
  if (o.rendezvous_timeout.count() <= 0)
    return bad("rendezvous_timeout", "must be > 0");
  if (o.collective_timeout.count() <= 0)
    return bad("collective_timeout", "must be > 0");
  if (nodes.empty())
    return status::ok();
  uint32_t max_gpus = 0;
  for (const auto& n : nodes)
    max_gpus = std::max(max_gpus, n.gpus);
  if (o.gpus > max_gpus)
    return status::error(errc::infeasible,
                         "gpus=" + std::to_string(o.gpus) + " per rank, but no node has more than " +
                             std::to_string(max_gpus),
                         "gpus");
  // The fewest ranks the job can run with must fit an empty cluster.
  const uint32_t need = o.min_workers ? o.min_workers : o.workers;
  uint64_t fits = 0;
  for (const auto& n : nodes) {
    uint64_t k = n.cpus / o.cpus;
    if (o.memory_mb)
      k = std::min<uint64_t>(k, n.memory_mb / o.memory_mb);
    if (o.gpus)
      k = std::min<uint64_t>(k, n.gpus / o.gpus);
    fits += k;
  }
  if (fits < need)
    return status::error(errc::infeasible,
                         "a gang of " + std::to_string(need) + " rank(s) of " +
                             std::to_string(o.cpus) + " cpu(s)" +
                             (o.gpus ? ", " + std::to_string(o.gpus) + " gpu(s)" : "") +
                             (o.memory_mb ? ", " + std::to_string(o.memory_mb) + " MB" : "") +
                             " can never fit: the whole cluster holds " + std::to_string(fits),
                         o.min_workers ? "min_workers" : "workers");
  return status::ok();
}

status choose_backend(const std::vector<std::string>& hosts, uint32_t gpus_each,
                      bool have_nccl, const std::string& want, std::string& out) {
  bool one_host = true;
  for (const auto& h : hosts)
    one_host = one_host && h == hosts.front();
  if (want == "auto") {
    // runtime/nn trains in host memory: NCCL (device buffers) only by name.
    out = one_host ? "shm" : "gloo";
    return status::ok();
  }
  if (want == "shm" && !one_host)
    return bad("backend", "shm needs every rank on one host; the ranks run on " +
                              std::to_string(hosts.size()) + " containers of several hosts");
  if (want == "nccl" && gpus_each == 0)
    return bad("backend", "nccl needs a GPU per rank (gpus=1 or more)");
  if (want == "nccl" && !have_nccl)
    return status::error(errc::unavailable, "nccl is not built into this lagom (no CUDA found)",
                         "backend");
  if (want != "shm" && want != "gloo" && want != "nccl")
    return bad("backend", "'" + want + "' is not a backend: auto, shm, gloo or nccl");
  out = want;
  return status::ok();
}

job_policy::job_policy(std::string job, job_options o) : job_(std::move(job)), opts_(o) {}

uint32_t job_policy::min_workers() const {
  return opts_.min_workers ? opts_.min_workers : opts_.workers;
}

bool job_policy::accept(uint32_t granted) const {
  return granted >= min_workers() && granted <= opts_.workers;
}

void job_policy::start_generation(uint32_t world) {
  ++generation_;
  world_ = world;
  running_ = world;
  failing_ = false;
  ok_before_failure_ = false;
  first_failure_ = status::ok();
  own_error_ = status::ok();
}

std::string job_policy::rendezvous_prefix() const {
  return job_ + "." + std::to_string(generation_);
}

job_policy::verdict job_policy::on_rank_end(uint32_t rank, const status& result) {
  (void)rank;
  if (running_ == 0)
    return verdict::wait; // not of this generation
  --running_;
  if (result) {
    if (!failing_)
      ok_before_failure_ = true;
  } else {
    if (result.code() == errc::function_failed && own_error_.is_ok())
      own_error_ = result;
    if (!failing_) {
      failing_ = true;
      first_failure_ = result;
      if (running_ > 0)
        return verdict::tear_down;
    }
  }
  if (running_ > 0)
    return verdict::wait;
  return generation_over();
}

job_policy::verdict job_policy::generation_over() {
  if (!failing_)
    return verdict::finished;
  if (!own_error_.is_ok()) { // a function's own error: a restart would repeat it
    why_ = own_error_;
    return verdict::failed;
  }
  if (ok_before_failure_ && first_failure_.code() == errc::timeout) {
    why_ = status::error(errc::timeout,
                         "a rank returned while another waited in a collective (the ranks "
                         "do not call the same collectives): " + first_failure_.message(),
                         first_failure_.where());
    return verdict::failed;
  }
  if (restarts_ >= opts_.max_restarts) {
    why_ = status::error(first_failure_.code(),
                         first_failure_.message() + " (gave up after " +
                             std::to_string(restarts_) + " restart(s), max_restarts=" +
                             std::to_string(opts_.max_restarts) + ")",
                         first_failure_.where());
    return verdict::failed;
  }
  ++restarts_;
  why_ = first_failure_;
  return verdict::restart;
}

const char* to_string(job_policy::verdict v) {
  switch (v) {
    case job_policy::verdict::wait: return "wait";
    case job_policy::verdict::tear_down: return "tear_down";
    case job_policy::verdict::finished: return "finished";
    case job_policy::verdict::restart: return "restart";
    case job_policy::verdict::failed: return "failed";
  }
  return "?";
}

} // namespace lagom::ddp
