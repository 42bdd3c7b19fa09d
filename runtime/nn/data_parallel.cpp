#include "nn/data_parallel.hpp"

#include <chrono>
#include <cstring>
#include <vector>

#include "core/timeline.hpp"

namespace lagom::nn {

namespace {
using clock_type = std::chrono::steady_clock;

status failed(const status& st, const std::string& what) {
  return status::error(st.code(), what + ": " + st.message(), st.where());
}
} // namespace

status check(const ddp_options& o) {
  if (!(o.bucket_mb > 0))
    return status::error(errc::invalid_argument,
                         "must be > 0 (MiB per gradient bucket), got " +
                             std::to_string(o.bucket_mb), "bucket_mb");
  if (!(o.first_bucket_mb > 0))
    return status::error(errc::invalid_argument, "must be > 0 (MiB of the first bucket)",
                         "first_bucket_mb");
  if (o.accumulate == 0)
    return status::error(errc::invalid_argument, "must be >= 1 (micro-batches per step)",
                         "accumulate");
  return status::ok();
}

data_parallel::data_parallel(model& m, collective::communicator* comm, const ddp_options& o,
                             timeline* trace)
  : m_(m), comm_(comm), o_(o), trace_(trace) {}

status data_parallel::make(model& m, collective::communicator* comm, const ddp_options& o,
                           std::unique_ptr<data_parallel>* out, timeline* trace) {
  if (auto st = check(o); !st)
    return st;
  std::unique_ptr<data_parallel> dp(new data_parallel(m, comm, o, trace));
  if (comm && comm->world_size() > 1) {
    auto plan = plan_buckets(m.param_count(), static_cast<size_t>(o.first_bucket_mb * (1 << 20)),
                             static_cast<size_t>(o.bucket_mb * (1 << 20)));
    dp->reducer_ = std::make_unique<bucket_reducer>(*comm, m.grads(), std::move(plan), trace);
    if (o.sync_bn) {
      data_parallel* self = dp.get();
      m.set_batch_sum([self](double* v, size_t n) { return self->sum_batch_stats(v, n); });
    }
  }
  *out = std::move(dp);
  return status::ok();
}

data_parallel::~data_parallel() {
  if (o_.sync_bn && reducer_)
    m_.set_batch_sum({});
}

status data_parallel::sum_batch_stats(double* values, size_t n) {
  auto t0 = clock_type::now();
  auto op = [&] {
    return comm_->all_reduce(values, n, collective::dtype::float64, collective::reduce_op::sum);
  };
  // in backward the bucket thread owns the communicator: run between its buckets
  status st = in_backward_ ? reducer_->between_buckets(op) : op();
  if (trace_)
    trace_->span("sync_bn all_reduce", t0, clock_type::now());
  return st;
}

const std::vector<bucket>& data_parallel::buckets() const {
  static const std::vector<bucket> none;
  return reducer_ ? reducer_->plan() : none;
}

status data_parallel::broadcast_state(optimizer* opt) {
  if (!reducer_)
    return status::ok();
  if (auto st = comm_->broadcast(m_.params(), m_.param_bytes(), 0); !st)
    return failed(st, "broadcast of the parameters from rank 0");
  if (m_.stats_count() > 0)
    if (auto st = comm_->broadcast(m_.stats(), m_.stats_count() * sizeof(float), 0); !st)
      return failed(st, "broadcast of the batchnorm statistics from rank 0");
  uint64_t rng[2] = {m_.seed(), m_.rng_counter()};
  if (auto st = comm_->broadcast(rng, sizeof rng, 0); !st)
    return failed(st, "broadcast of the dropout rng from rank 0");
  // Each rank draws its own dropout masks from the same seed: offset by rank.
  m_.set_rng(rng[0] + 0x9e3779b97f4a7c15ULL * comm_->rank(), rng[1]);
  if (opt) {
    uint64_t steps = opt->steps();
    if (auto st = comm_->broadcast(&steps, sizeof steps, 0); !st)
      return failed(st, "broadcast of the optimizer step count from rank 0");
    opt->set_steps(steps);
    if (opt->state_count() > 0)
      if (auto st = comm_->broadcast(opt->state(), opt->state_count() * sizeof(float), 0); !st)
        return failed(st, "broadcast of the optimizer state from rank 0");
  }
  return status::ok();
}

status data_parallel::train_step(const tensor& x, const int* targets, optimizer& opt) {
  stepped_ = false;
  if (micro_ == 0)
    m_.zero_grad();
  const bool sync = ++micro_ == o_.accumulate;
  auto t0 = clock_type::now();
  if (auto st = m_.forward(x, targets, mode::train); !st) {
    --micro_;
    return st;
  }
  auto t1 = clock_type::now();
  if (trace_)
    trace_->span("forward", t0, t1);
  status st;
  if (sync && reducer_) {
    reducer_->begin();
    in_backward_ = true;
    st = m_.backward([this](size_t off, size_t n) { reducer_->ready(off, n); });
    in_backward_ = false;
    auto t2 = clock_type::now();
    if (trace_)
      trace_->span("backward", t1, t2);
    status red = reducer_->finish(); // always: the bucket thread must be idle again
    if (st && !red)
      st = red;
  } else {
    st = m_.backward();
    if (trace_)
      trace_->span("backward", t1, clock_type::now());
  }
  if (!st) {
    micro_ = 0;
    return st;
  }
  if (!sync)
    return status::ok();
  micro_ = 0;
  if (o_.accumulate > 1) {
    const float scale = 1.f / static_cast<float>(o_.accumulate);
    float* g = m_.grads();
    for (size_t i = 0, n = m_.param_count(); i < n; ++i)
      g[i] *= scale;
  }
  auto t3 = clock_type::now();
  opt.step(m_.params(), m_.grads());
  auto t4 = clock_type::now();
  if (trace_)
    trace_->span("optimizer step", t3, t4);
  stepped_ = true;
  return status::ok();
}

status data_parallel::average(double* values, size_t n) {
  if (!comm_ || comm_->world_size() <= 1 || n == 0)
    return status::ok();
  if (auto st = comm_->all_reduce(values, n, collective::dtype::float64,
                                  collective::reduce_op::average);
      !st)
    return failed(st, "all_reduce of " + std::to_string(n) + " metric values");
  return status::ok();
}

} // namespace lagom::nn
