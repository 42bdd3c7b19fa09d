#include "cli/progress.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <memory>

namespace lagom::cli {

namespace {

std::string fixed(double x, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, x);
  return buf;
}

// "loss 0.5123  acc 0.8120  test_acc 0.8650  2345 samples/s" from what is there.
std::string metrics_text(const named_values& m) {
  std::string out;
  auto add = [&](const char* key, const char* label, int digits) {
    if (auto v = m.find(key); v && std::holds_alternative<double>(*v))
      out += std::string(out.empty() ? "" : "  ") + label + " " + fixed(std::get<double>(*v), digits);
  };
  add("loss", "loss", 4);
  add("accuracy", "acc", 4);
  add("test_loss", "test_loss", 4);
  add("test_accuracy", "test_acc", 4);
  if (auto v = m.find("samples_per_s"); v && std::holds_alternative<double>(*v))
    out += (out.empty() ? "" : "  ") + fixed(std::get<double>(*v), 0) + " samples/s";
  // a data-parallel job's epoch line: each rank's mean step time
  std::string steps;
  for (auto& [k, v] : m.entries())
    if (k.rfind("rank", 0) == 0 && k.size() > 12 && k.substr(k.size() - 8) == ".step_ms" &&
        std::holds_alternative<double>(v))
      steps += " " + k.substr(4, k.size() - 12) + ":" + fixed(std::get<double>(v), 1);
  if (!steps.empty())
    out += "  step ms by rank" + steps;
  return out;
}

} // namespace

std::string progress_bar(double fraction, int width) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  int filled = static_cast<int>(fraction * width + 0.5);
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
}

void progress_printer::end_live_line() {
  if (live_)
    out_ << "\n";
  live_ = false;
}

void progress_printer::operator()(const progress_event& ev) {
  std::string run = "run " + std::to_string(ev.run);
  switch (ev.kind) {
    case progress_event::started:
      if (ev.attempt > 1) {
        end_live_line();
        out_ << run << ": attempt " << ev.attempt << " started on " << ev.node << std::endl;
      }
      return;
    case progress_event::restarting:
      end_live_line();
      out_ << run << ": lost (" << ev.error << "); restarting" << std::endl;
      return;
    case progress_event::failed:
      end_live_line();
      out_ << run << ": failed: " << ev.error << std::endl;
      return;
    case progress_event::finished:
      return;
    case progress_event::report:
      break;
  }
  auto epoch = ev.metrics.find("epoch");
  std::string where = run;
  if (epoch != nullptr)
    where += " epoch " + format_value(*epoch) + "/" + ev.metrics.text("epochs", "?");
  if (ev.metrics.contains("test_accuracy")) { // the end of an epoch
    if (live_)
      out_ << "\r\033[K";
    live_ = false;
    out_ << where << "  " << metrics_text(ev.metrics) << std::endl;
    return;
  }
  if (!tty_ || !ev.metrics.contains("progress"))
    return;
  double p = ev.metrics.number("progress", 0);
  out_ << "\r\033[K" << where << " " << progress_bar(p) << " " << fixed(100 * p, 0) << "%  "
       << metrics_text(ev.metrics) << std::flush;
  live_ = true;
}

std::function<void(uint64_t, uint64_t)> upload_progress(std::ostream& out, bool tty,
                                                        std::string group) {
  auto quarter = std::make_shared<int>(-1);
  return [&out, tty, group = std::move(group), quarter](uint64_t sent, uint64_t total) {
    const double f = total == 0 ? 1.0 : double(sent) / double(total);
    const int q = static_cast<int>(f * 4);
    if (!tty && q <= *quarter)
      return;
    *quarter = q;
    char mb[64];
    std::snprintf(mb, sizeof mb, "%5.1f of %.1f MB", double(sent) / 1e6, double(total) / 1e6);
    out << (tty ? "\r" : "") << "upload " << group << " " << progress_bar(f) << " "
        << std::setw(3) << static_cast<int>(f * 100 + 0.5) << "%  " << mb;
    if (!tty || sent >= total)
      out << "\n";
    out << std::flush;
  };
}

} // namespace lagom::cli
