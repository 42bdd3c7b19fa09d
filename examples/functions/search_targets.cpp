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
