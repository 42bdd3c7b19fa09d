// Train functions for trying out and testing hyperparameter search:
//   objective x=X y=Y opt=a|b [steps=N] [budget=B] [step_ms=MS] [fail_above=F]
//             [trace=FILE]
//       score = 0.5*[opt=b] - (x-1)^2 - (y+2)^2: best 0.5 at x=1, y=-2, opt=b.
//       Reports the learning curve score - 1/t at steps t = 1..N (N = budget
//       when budget > 0, for ASHA), taking step_ms per step, and returns
//       score (and loss = -score). Throws when x > fail_above. With trace, it
//       appends "run R attempt A pid P" to FILE first (the fault tests read
//       it: which trials ran how often, which process runs one now).
//   noop      returns score=0 at once: the scheduler's own cost per trial.
//   checkpointed x=X budget=B [extra_per_rank=E] [trace=FILE]
//       Goes on from the step of the checkpoint it gets (its own after a
//       restart; an ASHA promotion's parent's before it saved one), runs
//       steps up to B + rank x E (a checkpoint after each, then a report of score -
//       1/t), and returns score = -(x-1)^2 - 1/B, from = the step it started
//       after and trained = the steps it ran. With trace, it appends
//       "run R parent P budget B from F trained T" to FILE (P: -1 for none).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>

#include "lagom/train.hpp"

namespace {

// Takes `d` exactly, as a computation of that length would: the thread
// sleeps, and spins the last 0.2 ms, since a sleeping thread is woken tens of
// microseconds late (45 us on a 2-core VM: 0.45% of a 10 ms step).
void pass(std::chrono::duration<double, std::milli> d) {
  using clock = std::chrono::steady_clock;
  auto until = clock::now() + std::chrono::duration_cast<clock::duration>(d);
  auto early = std::chrono::microseconds(200);
  if (d > early)
    std::this_thread::sleep_until(until - early);
  while (clock::now() < until) {
  }
}

lagom::named_values objective(lagom::train_context& ctx) {
  std::string trace = ctx.param("trace", "");
  if (!trace.empty()) {
    if (FILE* f = std::fopen(trace.c_str(), "a")) {
      std::fprintf(f, "run %u attempt %u pid %d\n", ctx.identity().run, ctx.identity().attempt,
                   static_cast<int>(::getpid()));
      std::fclose(f);
    }
  }
  double x = ctx.param("x", 0.0), y = ctx.param("y", 0.0);
  if (x > ctx.param("fail_above", std::numeric_limits<double>::infinity()))
    throw std::runtime_error("x=" + std::to_string(x) + " is above fail_above");
  double score = (ctx.param("opt", "a") == std::string("b") ? 0.5 : 0.0) -
                 (x - 1) * (x - 1) - (y + 2) * (y + 2);
  double budget = ctx.param("budget", 0.0);
  auto steps = static_cast<uint64_t>(budget > 0 ? budget : ctx.param("steps", 1.0));
  auto step_ms = std::chrono::duration<double, std::milli>(ctx.param("step_ms", 0.0));
  for (uint64_t t = 1; t <= steps && !ctx.stop_requested(); ++t) {
    if (step_ms.count() > 0)
      pass(step_ms);
    lagom::named_values m;
    m.set("score", score - 1.0 / double(t));
    if (ctx.report(t, m) == lagom::decision::stop)
      break;
  }
  lagom::named_values out;
  out.set("score", score - 1.0 / double(steps));
  out.set("loss", -(score - 1.0 / double(steps)));
  return out;
}

lagom::named_values checkpointed(lagom::train_context& ctx) {
  double x = ctx.param("x", 0.0);
  double score = -(x - 1) * (x - 1);
  auto budget = static_cast<uint64_t>(ctx.param("budget", 1.0))
                + ctx.rank() * static_cast<uint64_t>(ctx.param("extra_per_rank", 0.0));
  uint64_t from = 0;
  std::string payload;
  lagom::named_values meta;
  if (auto st = ctx.load_checkpoint(from, payload, meta);
      !st && st.code() != lagom::errc::not_found)
    throw std::runtime_error(st.to_string());
  uint64_t t = from;
  auto step_ms = std::chrono::duration<double, std::milli>(ctx.param("step_ms", 0.0));
  while (t < budget && !ctx.stop_requested()) {
    ++t;
    if (step_ms.count() > 0)
      pass(step_ms);
    if (auto st = ctx.save_checkpoint(t, "step " + std::to_string(t) + " on " + ctx.node()); !st)
      throw std::runtime_error(st.to_string());
    lagom::named_values m;
    m.set("score", score - 1.0 / double(t));
    ctx.report(t, m);
  }
  std::string trace = ctx.param("trace", "");
  if (!trace.empty()) {
    if (FILE* f = std::fopen(trace.c_str(), "a")) {
      const auto& id = ctx.identity();
      std::fprintf(f, "run %u parent %d budget %llu from %llu trained %llu\n", id.run,
                   id.has_parent ? static_cast<int>(id.parent_run) : -1,
                   static_cast<unsigned long long>(budget), static_cast<unsigned long long>(from),
                   static_cast<unsigned long long>(t - from));
      std::fclose(f);
    }
  }
  lagom::named_values out;
  out.set("score", score - 1.0 / double(budget));
  out.set("from", double(from));
  out.set("trained", double(t - from));
  return out;
}

lagom::named_values noop(lagom::train_context&) {
  lagom::named_values out;
  out.set("score", 0.0);
  return out;
}

} // namespace

LAGOM_TRAIN_FN_WITH_PARAMS("objective", objective, {
  lagom::param_spec::real("x", 0, -100, 100, "first coordinate"),
  lagom::param_spec::real("y", 0, -100, 100, "second coordinate"),
  lagom::param_spec::one_of("opt", "a", {"a", "b"}, "b adds 0.5"),
  lagom::param_spec::integer("steps", 1, 1, 1000000, "reports (learning-curve steps)"),
  lagom::param_spec::real("budget", 0, 0, 1000000, "ASHA's resource: steps when > 0"),
  lagom::param_spec::real("step_ms", 0, 0, 3600000, "milliseconds per step"),
  lagom::param_spec::real("fail_above", 1e300, -1e300, 1e300, "throw when x is above"),
  lagom::param_spec::text("trace", "", "append 'run R attempt A pid P' to this file"),
});
LAGOM_TRAIN_FN("noop", noop);
LAGOM_TRAIN_FN_WITH_PARAMS("checkpointed", checkpointed, {
  lagom::param_spec::real("x", 0, -100, 100, "the score is -(x-1)^2 - 1/budget"),
  lagom::param_spec::integer("budget", 1, 1, 1000000, "ASHA's resource: steps to reach"),
  lagom::param_spec::text("trace", "", "append what each run trained to this file"),
  lagom::param_spec::real("step_ms", 0, 0, 3600000, "milliseconds per step"),
  lagom::param_spec::integer("extra_per_rank", 0, 0, 1000000, "rank r reaches budget + r x this"),
});
