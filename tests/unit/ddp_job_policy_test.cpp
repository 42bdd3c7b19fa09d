// ddp::job_policy: validation naming the field, backend choice, elastic
// grants, and the one_for_all generations: one scenario per test.
#include <catch2/catch.hpp>

#include "ddp/job_policy.hpp"

using namespace lagom;
using namespace lagom::ddp;
using verdict = job_policy::verdict;

namespace {
std::vector<node_capacity> three_nodes() {
  return {{"node-1", "127.0.0.1", 2, 4096, 0}, {"node-2", "127.0.0.1", 2, 4096, 0},
          {"node-3", "127.0.0.1", 2, 4096, 1}};
}
job_options workers(uint32_t n) {
  job_options o;
  o.workers = n;
  return o;
}
status lost(uint32_t rank) {
  return status::error(errc::container_lost, "worker process killed",
                       "rank " + std::to_string(rank));
}
status timed_out(uint32_t rank) {
  return status::error(errc::timeout, "all_reduce of gradient bucket 0: rank " +
                                          std::to_string(rank) + " did not join within 400 ms",
                       "all_reduce");
}
} // namespace

TEST_CASE("ddp job options are validated, each error naming its field", "[ddp]") {
  auto nodes = three_nodes();
  CHECK(validate(workers(2), nodes).is_ok());
  CHECK(validate(workers(0), nodes).where() == "workers");
  auto o = workers(2);
  o.min_workers = 3;
  CHECK(validate(o, nodes).where() == "min_workers");
  o = workers(2);
  o.bucket_mb = 0;
  CHECK(validate(o, nodes).where() == "bucket_mb");
  o.bucket_mb = -1;
  CHECK(validate(o, nodes).where() == "bucket_mb");
  o = workers(2);
  o.accumulate = 0;
  CHECK(validate(o, nodes).where() == "accumulate");
  o = workers(1);
  o.gpus = 2; // no node has 2
  auto st = validate(o, nodes);
  CHECK(st.where() == "gpus");
  CHECK(st.code() == errc::infeasible);
  o = workers(7); // 3 nodes x 2 cpus hold 6 ranks of 1 cpu
  st = validate(o, nodes);
  CHECK(st.where() == "workers");
  CHECK(st.message().find("never fit") != std::string::npos);
  o = workers(2);
  o.gpus = 1; // only node-3 has a GPU: one rank fits
  CHECK(validate(o, nodes).where() == "workers");
  o.min_workers = 1;
  CHECK(validate(o, nodes).is_ok());
  o = workers(7);
  o.min_workers = 6; // elastic: six fit
  CHECK(validate(o, nodes).is_ok());
  o = workers(3);
  o.cpus = 3; // larger than any node
  CHECK(validate(o, nodes).where() == "workers");
}

namespace {
std::string backend(const std::vector<std::string>& hosts, uint32_t gpus, bool nccl,
                    const std::string& want = "auto") {
  std::string out;
  auto st = choose_backend(hosts, gpus, nccl, want, out);
  return st ? out : "error " + st.where() + ": " + st.message();
}
} // namespace

TEST_CASE("the backend is shared memory on one host, gloo across hosts, nccl only by name", "[ddp]") {
  CHECK(backend({"127.0.0.1", "127.0.0.1"}, 0, true) == "shm");
  CHECK(backend({"10.0.0.1", "10.0.0.2"}, 0, false) == "gloo");
  CHECK(backend({"10.0.0.1", "10.0.0.2"}, 1, true) == "gloo"); // host tensors
  CHECK(backend({"10.0.0.1", "10.0.0.2"}, 1, true, "nccl") == "nccl");
  CHECK(backend({"10.0.0.1", "10.0.0.1"}, 1, false) == "shm");
  // asked for by name
  CHECK(backend({"127.0.0.1", "127.0.0.1"}, 0, false, "gloo") == "gloo");
  CHECK(backend({"127.0.0.1", "127.0.0.1"}, 0, false, "shm") == "shm");
  CHECK(backend({"10.0.0.1", "10.0.0.2"}, 0, false, "shm").rfind("error backend: shm needs", 0) == 0);
  CHECK(backend({"10.0.0.1"}, 0, true, "nccl").rfind("error backend: nccl needs a GPU", 0) == 0);
  CHECK(backend({"10.0.0.1"}, 1, false, "nccl").rfind("error backend: nccl is not built", 0) == 0);
  CHECK(backend({"10.0.0.1"}, 0, false, "mpi").rfind("error backend: 'mpi' is not", 0) == 0);
  job_options o;
  o.backend = "tcp";
  CHECK(validate(o, {}).where() == "backend");
  o.backend = "nccl";
  CHECK(validate(o, {}).where() == "backend");
  o.gpus = 1;
  CHECK(validate(o, {}).is_ok());
}

TEST_CASE("every rank returning ok finishes the job in its first generation", "[ddp]") {
  job_policy p("job7", workers(3));
  p.start_generation(3);
  CHECK(p.generation() == 1);
  CHECK(p.rendezvous_prefix() == "job7.1");
  CHECK(p.on_rank_end(1, status::ok()) == verdict::wait);
  CHECK(p.on_rank_end(0, status::ok()) == verdict::wait);
  CHECK(p.on_rank_end(2, status::ok()) == verdict::finished);
}

TEST_CASE("a lost rank tears the group down and restarts it as a new generation", "[ddp]") {
  auto o = workers(3);
  o.max_restarts = 2;
  job_policy p("j", o);
  p.start_generation(3);
  CHECK(p.on_rank_end(1, lost(1)) == verdict::tear_down);
  CHECK(p.on_rank_end(0, timed_out(1)) == verdict::wait);
  CHECK(p.on_rank_end(2, status::error(errc::container_lost, "peer rank 1 died")) ==
        verdict::restart);
  CHECK(p.why().where() == "rank 1");
  CHECK(p.restarts() == 1);
  p.start_generation(3);
  CHECK(p.rendezvous_prefix() == "j.2");
  CHECK(p.on_rank_end(0, lost(0)) == verdict::tear_down);
  CHECK(p.on_rank_end(1, status::ok()) == verdict::wait); // stopped after the failure
  CHECK(p.on_rank_end(2, lost(2)) == verdict::restart);
  p.start_generation(3);
  CHECK(p.on_rank_end(2, lost(2)) == verdict::tear_down);
  CHECK(p.on_rank_end(0, lost(0)) == verdict::wait);
  CHECK(p.on_rank_end(1, lost(1)) == verdict::failed); // max_restarts = 2 spent
  CHECK(p.why().message().find("gave up after 2 restart(s)") != std::string::npos);
}

TEST_CASE("a function's own error fails the job without a restart", "[ddp]") {
  job_policy p("j", workers(2));
  p.start_generation(2);
  auto own = status::error(errc::function_failed, "no such file", "data");
  CHECK(p.on_rank_end(1, own) == verdict::tear_down);
  CHECK(p.on_rank_end(0, timed_out(1)) == verdict::failed);
  CHECK(p.why().message() == "no such file");
}

TEST_CASE("a rank that returns while another waits in a collective is a deadlock error", "[ddp]") {
  job_policy p("j", workers(2));
  p.start_generation(2);
  CHECK(p.on_rank_end(1, status::ok()) == verdict::wait); // never called all_reduce
  CHECK(p.on_rank_end(0, timed_out(1)) == verdict::failed);
  CHECK(p.why().code() == errc::timeout);
  CHECK(p.why().message().find("rank 1") != std::string::npos);
  CHECK(p.why().message().find("all_reduce") != std::string::npos);
  CHECK(p.restarts() == 0);
}

TEST_CASE("an elastic job accepts min_workers to workers containers", "[ddp]") {
  auto o = workers(4);
  o.min_workers = 2;
  job_policy p("j", o);
  CHECK(p.first_ask() == 4);
  CHECK(p.min_workers() == 2);
  CHECK_FALSE(p.accept(1));
  CHECK(p.accept(2));
  CHECK(p.accept(4));
  CHECK_FALSE(p.accept(5));
  p.start_generation(3);
  CHECK(p.world_size() == 3);
  job_policy fixed("k", workers(4));
  CHECK_FALSE(fixed.accept(3));
  CHECK(fixed.accept(4));
}
