// cluster::collective_all_reduce: checks the job against the cluster's nodes
// (ddp::validate, errors naming the field), then runs a ddp_job actor and
// waits for it.
#include <caf/all.hpp>

#include "actors/api/cluster_impl.hpp"
#include "actors/ddp_job.hpp"
#include "wire/atoms.hpp"
#include "wire/errors.hpp"

namespace lagom {

status cluster::collective_all_reduce(const std::string& function,
                                      const collective_options& opts,
                                      collective_result& out) {
  out = collective_result{};
  cluster_view view;
  if (auto st = describe(view); !st)
    return st;
  std::vector<ddp::node_capacity> nodes;
  std::map<std::string, std::string> hosts;
  for (const auto& n : view.nodes) {
    nodes.push_back({n.name, n.host, n.cpus, n.memory_mb, n.gpus});
    hosts[n.name] = n.host;
  }
  if (auto st = ddp::validate(actors::to_job_options(opts), nodes); !st)
    return st;
  auto report = std::make_shared<actors::ddp_job_report>();
  auto job = actors::spawn_ddp_job(*impl_->sys, impl_->head, function, opts, impl_->data_dir,
                                   std::move(hosts), report);
  caf::scoped_actor self{*impl_->sys};
  status st;
  caf::duration bound = opts.timeout.count() > 0 ? caf::duration{opts.timeout} : caf::infinite;
  self->request(job, bound, atoms::launch::value)
    .receive([]() {}, [&](caf::error& err) { st = wire::to_status(err); });
  if (!st) {
    self->send_exit(job, caf::exit_reason::user_shutdown); // cluster_manager reclaims
    return st;
  }
  out = report->result;
  return report->overall;
}

} // namespace lagom
