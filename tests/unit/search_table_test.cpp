// tuning::search_table: counts, the best so far, and the result of a search;
// tuning::encode_search/decode_search: the stored definition round trips and
// a damaged one is refused naming its key.
#include <catch2/catch.hpp>

#include <cmath>

#include "tuning/search_definition.hpp"
#include "tuning/search_table.hpp"

using namespace lagom;
using namespace lagom::tuning;

namespace {

trial_entry& ended(search_table& t, uint32_t id, run_status status, double value) {
  trial tr;
  tr.id = id;
  tr.config.set("x", double(id));
  auto& e = t.add(tr);
  t.set_status(e, run_status::running);
  if (!std::isnan(value)) {
    e.view.has_value = true;
    e.view.value = value;
  }
  t.set_status(e, status);
  return e;
}

} // namespace

TEST_CASE("search_table: counts follow the statuses and the best follows the direction") {
  search_table t(true);  // maximize
  ended(t, 0, run_status::finished, 0.5);
  ended(t, 1, run_status::stopped_early, 0.9);
  ended(t, 2, run_status::failed, NAN);
  auto& lost = ended(t, 3, run_status::lost, NAN);
  CHECK(t.running() == 0);
  CHECK(t.finished() == 1);
  CHECK(t.stopped_early() == 1);
  CHECK(t.failed() == 1);
  CHECK(t.retried() == 1);
  t.set_status(lost, run_status::running);
  CHECK(t.running() == 1);
  lost.view.has_value = true;
  lost.view.value = 0.7;
  t.set_status(lost, run_status::finished);
  CHECK(t.running() == 0);

  auto p = t.progress(search_progress::trial_ended, lost, 10);
  CHECK(p.has_best);
  CHECK(p.best == 0.9);  // the stopped-early trial's value counts as seen
  CHECK(p.best_trial == 1);

  // The result ranks finished trials when there are any.
  auto r = t.summarize();
  CHECK(r.num_trials == 4);
  REQUIRE(r.has_best);
  CHECK(r.best.id == 3);
  CHECK(r.worst.id == 0);
  CHECK(r.average == Approx(0.6));
  CHECK(r.finished == 2);
  CHECK(r.early_stopped == 1);
  CHECK(r.failed == 1);
  CHECK(r.retried == 1);
}

TEST_CASE("search_table: minimizing turns metrics into losses and back") {
  search_table t(false);
  CHECK(t.to_loss(2.0) == 2.0);
  CHECK(t.better(1.0, 2.0));
  search_table m(true);
  CHECK(m.to_loss(2.0) == -2.0);
  CHECK(m.to_metric(-2.0) == 2.0);
  auto& e = ended(m, 0, run_status::running, NAN);
  m.report(e, 1, 0.3);
  m.report(e, 2, 0.8);
  m.report(e, 3, 0.5);
  CHECK(e.best_loss == -0.8);
  CHECK(e.last_step == 3);
}

TEST_CASE("search definition: round trip, and a damaged record names the key") {
  searchspace space;
  REQUIRE(searchspace::parse("lr: double [1e-4, 1e-1] log; opt: categorical [adam, sgd]", space)
            .is_ok());
  search_options o;
  o.optimizer = "asha";
  o.optimizer_settings.set("reduction_factor", 3.0);
  o.num_trials = 40;
  o.seed = 7;
  o.resource = "epochs";
  o.early_stopping.name = "median";
  o.early_stopping.min_trials = 4;
  o.containers = 2;
  o.time_budget = std::chrono::milliseconds(60000);
  named_values stored = encode_search(space, o);

  searchspace back_space;
  search_options back;
  REQUIRE(decode_search(stored, back_space, back).is_ok());
  CHECK(back_space.to_string() == space.to_string());
  CHECK(back.optimizer == "asha");
  CHECK(back.optimizer_settings.number("reduction_factor", 0) == 3);
  CHECK(back.num_trials == 40);
  CHECK(back.seed == 7);
  CHECK(back.resource == "epochs");
  CHECK(back.early_stopping.name == "median");
  CHECK(back.early_stopping.min_trials == 4);
  CHECK(back.containers == 2);
  CHECK(back.time_budget == std::chrono::milliseconds(60000));

  named_values damaged = stored;
  damaged.set("trials", std::string("many"));
  search_options untouched;
  status st = decode_search(damaged, back_space, untouched);
  CHECK(st.code() == errc::io_error);
  CHECK(st.where() == "search.trials");
  CHECK(untouched.num_trials == search_options{}.num_trials);
  damaged = stored;
  damaged.set("space", std::string("lr: double [1, 0]"));
  CHECK(decode_search(damaged, back_space, untouched).where() == "search.space");
}
