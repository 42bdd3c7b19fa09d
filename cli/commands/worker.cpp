// `lagom worker --node 127.0.0.1:PORT --container ID`: one container as a
// process, started by node_manager (never by hand). It attaches to its node
// over loopback, receives its FunctionLaunch, runs the function on its main
// thread, delivers the outcome and exits 0. An agent actor turns the node's
// stop request into train_context::stop_requested(). If the node goes away
// the worker dies with it (PR_SET_PDEATHSIG, set by the node at spawn). The
// cluster token comes from the node in LAGOM_TOKEN.
#include <cstdio>
#include <cstdlib>
#include <future>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/container_exec.hpp"
#include "actors/door.hpp"
#include "cli/commands/commands.hpp"
#include "wire/atoms.hpp"
#include "wire/configure.hpp"
#include "wire/network.hpp"
#include "wire/errors.hpp"

namespace lagom::cli {

namespace {

struct attached {
  wire::frame launch;
  actors::trainer_links links;
};

// Asks the node for the launch; then answers stop requests by raising `stop`.
caf::behavior worker_agent(caf::event_based_actor* self, caf::actor node, uint64_t container,
                           std::shared_ptr<std::atomic<bool>> stop,
                           std::shared_ptr<std::promise<caf::expected<attached>>> launch) {
  self->request(node, service_timeout, atoms::attach::value, container, actors::proof())
    .then(
      [=](wire::frame& f, caf::actor& owner, caf::actor& registry, caf::actor& checkpointer,
          caf::actor& logs) {
        attached a;
        a.launch = std::move(f);
        a.links.owner = owner, a.links.registry = registry;
        a.links.checkpointer = checkpointer, a.links.logs = logs;
        // Then where the run reads training datasets (data=fs:NAME): without
        // an answer it runs, and such reads fail as unavailable.
        self->request(node, service_timeout, atoms::feature_store::value, actors::proof())
          .then(
            [=](caf::actor& router) mutable {
              a.links.features = router;
              launch->set_value(std::move(a));
            },
            [=](caf::error&) mutable { launch->set_value(std::move(a)); });
      },
      [=](caf::error& err) {
        launch->set_value(std::move(err));
        self->quit();
      });
  self->monitor(node);
  self->set_down_handler([=](caf::down_msg&) { stop->store(true); });
  return {
    [=](atoms::stop, uint64_t) { stop->store(true); },
  };
}

} // namespace

int run_worker(const worker_flags& f) {
  std::string host, err;
  uint16_t port = 0;
  if (!split_host_port(f.node, host, port, err) || port == 0) {
    std::fprintf(stderr, "lagom worker: --node %s: %s\n", f.node.c_str(),
                 err.empty() ? "port must be 1..65535" : err.c_str());
    return 2;
  }
  // The node hands its token down in LAGOM_TOKEN: every frame this worker
  // sends (attach, results, reports, checkpoints, logs) proves it.
  wire::set_cluster_token(token_or_env(""));
  caf::actor_system_config cfg;
  wire::configure(cfg);
  wire::load_network(cfg); // CAF's middleman, reads bounded (wire/network.hpp)
  caf::actor_system sys{cfg};
  auto node = sys.middleman().remote_actor(host, port);
  if (!node) {
    std::fprintf(stderr, "lagom worker: cannot reach node_manager at %s: %s\n", f.node.c_str(),
                 sys.render(node.error()).c_str());
    return 1;
  }
  auto stop = std::make_shared<std::atomic<bool>>(false);
  auto launch = std::make_shared<std::promise<caf::expected<attached>>>();
  auto got = launch->get_future();
  auto agent = sys.spawn(worker_agent, *node, f.container, stop, launch);
  auto frame = got.get();
  if (!frame) {
    std::fprintf(stderr, "lagom worker: container %llu: %s\n",
                 static_cast<unsigned long long>(f.container),
                 wire::to_status(frame.error()).to_string().c_str());
    return 1;
  }
  actors::launch_spec spec;
  auto fns = function_registry::from_linked();
  wire::frame out;
  if (auto rd = actors::decode_launch(frame->launch, f.node_name, spec); !rd) {
    out = actors::exit_frame(f.container, rd);
  } else if (auto fn = fns.lookup(spec.function); fn == nullptr) {
    out = actors::exit_frame(f.container,
                             status::error(errc::not_found,
                                           "unknown function '" + spec.function + "'",
                                           "worker"));
  } else {
    // CUDA_VISIBLE_DEVICES leaves this process only its own GPUs: 0..n-1.
    for (size_t i = 0; i < spec.where.gpus.size(); ++i)
      spec.where.gpus[i] = static_cast<uint32_t>(i);
    // Its node incarnation's epoch (LAGOM_EPOCH, set by node_manager): every
    // write of the run carries it, so the head refuses it once fenced.
    if (const char* e = std::getenv("LAGOM_EPOCH"); e != nullptr)
      frame->links.epoch = std::strtoull(e, nullptr, 10);
    // Its node's --shared-data (set by node_manager): checkpoints staged there.
    if (const char* d = std::getenv("LAGOM_SHARED_DATA"); d != nullptr)
      frame->links.shared_data = d;
    out = actors::run_function(sys, *fn, spec, stop, frame->links, f.data_dir);
  }
  int code = 0;
  caf::scoped_actor self{sys};
  self->request(*node, service_timeout, atoms::finished::value, f.container,
                std::move(out))
    .receive([]() {},
             [&](caf::error& e) {
               std::fprintf(stderr, "lagom worker: cannot deliver the result: %s\n",
                            sys.render(e).c_str());
               code = 1;
             });
  caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
  return code;
}

} // namespace lagom::cli
