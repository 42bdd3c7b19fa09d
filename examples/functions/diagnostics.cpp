// Functions for trying out the runtime's failure handling from a script:
//   sleep ms=N       holds its container N milliseconds (a long job), or
//                    until the runtime asks it to stop
//   fail message=T   throws T: the launch reports function_failed
//   echo k=v ...     returns its hyperparameters as they arrived
//   crash rank=R     rank R aborts its process (see --process-containers)
//   all_reduce_probe [skip=R]  sums rank+1 over a data-parallel job (rank R
//                    never joins: the others time out)
#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "lagom/train.hpp"

namespace {

lagom::named_values sleep_fn(lagom::train_context& ctx) {
  double ms = ctx.param("ms", 1000.0); // checked against its spec at launch
  // Sleeps in slices so that a stop request (container released, gang
  // member lost) ends it early.
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  auto until = start + std::chrono::duration_cast<clock::duration>(
                         std::chrono::duration<double, std::milli>(ms));
  while (clock::now() < until && !ctx.stop_requested())
    std::this_thread::sleep_for(std::min<clock::duration>(std::chrono::milliseconds(10),
                                                          until - clock::now()));
  lagom::named_values out;
  out.set("slept_ms", std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start).count());
  out.set("stopped", ctx.stop_requested() ? 1.0 : 0.0);
  return out;
}

lagom::named_values fail_fn(lagom::train_context& ctx) {
  throw std::runtime_error(ctx.param("message", "failed on purpose"));
}

lagom::named_values echo_fn(lagom::train_context& ctx) {
  return ctx.hyperparameters();
}

} // namespace

LAGOM_TRAIN_FN_WITH_PARAMS("sleep", sleep_fn, {
  lagom::param_spec::real("ms", 1000, 0, 86400000, "milliseconds to hold the container"),
});
LAGOM_TRAIN_FN_WITH_PARAMS("fail", fail_fn, {
  lagom::param_spec::text("message", "failed on purpose", "what it throws"),
});
LAGOM_TRAIN_FN("echo", echo_fn); // open: takes any hyperparameters

namespace {

// Aborts its process: with --process-containers this costs the container
// only; in a thread it would take the node down (which is why nodes run
// containers as processes).
lagom::named_values crash_fn(lagom::train_context& ctx) {
  if (ctx.rank() == static_cast<uint32_t>(ctx.param("rank", 0.0)))
    std::abort();
  lagom::named_values out;
  out.set("survived", 1.0);
  return out;
}

} // namespace

LAGOM_TRAIN_FN_WITH_PARAMS("crash", crash_fn, {
  lagom::param_spec::integer("rank", 0, 0, 1 << 20, "the rank that aborts"),
});

namespace {

// A data-parallel probe: every rank adds rank + 1 into one value with
// ctx.all_reduce (sum) and broadcasts rank 0's 42; rank `skip` returns at once
// without joining, so the others wait in the all-reduce until the collective
// timeout (a deadlock the job must end with an error naming the rank).
lagom::named_values all_reduce_probe(lagom::train_context& ctx) {
  lagom::named_values out;
  if (static_cast<int>(ctx.param("skip", -1.0)) == static_cast<int>(ctx.rank())) {
    out.set("skipped", 1.0);
    return out;
  }
  double sum = ctx.rank() + 1.0;
  if (auto st = ctx.all_reduce(&sum, 1, true); !st)
    throw std::runtime_error(st.to_string());
  float answer = ctx.rank() == 0 ? 42.f : 0.f;
  if (auto st = ctx.broadcast(&answer, sizeof answer, 0); !st)
    throw std::runtime_error(st.to_string());
  out.set("sum", sum);
  out.set("broadcast", double(answer));
  out.set("world_size", double(ctx.world_size()));
  return out;
}

} // namespace

LAGOM_TRAIN_FN_WITH_PARAMS("all_reduce_probe", all_reduce_probe, {
  lagom::param_spec::integer("skip", -1, -1, 1 << 20, "the rank that never joins (-1: none)"),
});
