// runtime/plot: ticks, the font, the PNG writer and both search plots. The
// plots are checked on the written files, decoded here with libpng's own
// reader, at pixel positions computed from the layout the plot reports.
#include <catch2/catch.hpp>

#include <png.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "plot/axes.hpp"
#include "plot/canvas.hpp"
#include "plot/png_writer.hpp"
#include "plot/search_plots.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::plot;
namespace fs = std::filesystem;

namespace Catch {
template <>
struct StringMaker<rgb> {
  static std::string convert(rgb c) {
    return "rgb(" + std::to_string(c.r) + ", " + std::to_string(c.g) + ", " + std::to_string(c.b) + ")";
  }
};
} // namespace Catch

namespace {

struct image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb_bytes;
  rgb at(int x, int y) const {
    const uint8_t* p = &rgb_bytes[(static_cast<size_t>(y) * width + x) * 3];
    return rgb{p[0], p[1], p[2]};
  }
};

image decode(const std::string& path) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_file(&png, path.c_str()) != 0);
  png.format = PNG_FORMAT_RGB;
  image out;
  out.width = static_cast<int>(png.width);
  out.height = static_cast<int>(png.height);
  out.rgb_bytes.resize(PNG_IMAGE_SIZE(png));
  REQUIRE(png_image_finish_read(&png, nullptr, out.rgb_bytes.data(), 0, nullptr) != 0);
  return out;
}

bool near(rgb a, rgb b, int tol) {
  return std::abs(a.r - b.r) <= tol && std::abs(a.g - b.g) <= tol && std::abs(a.b - b.b) <= tol;
}

bool reddish(rgb c) { return c.r > c.g + 60 && c.r > c.b + 60; }

std::vector<double> values(const std::vector<tick>& ticks) {
  std::vector<double> out;
  for (const tick& t : ticks)
    out.push_back(t.value);
  return out;
}

std::vector<std::string> labels(const std::vector<tick>& ticks) {
  std::vector<std::string> out;
  for (const tick& t : ticks)
    out.push_back(t.label);
  return out;
}

plot_trial trial(uint32_t id, const std::string& st, double value, std::vector<double> coords = {}) {
  run_status s = run_status::failed;
  REQUIRE(run_status_named(st, &s));
  return plot_trial{id, s, true, value, std::move(coords)};
}

const double k_nan = std::numeric_limits<double>::quiet_NaN();
const double k_inf = std::numeric_limits<double>::infinity();

} // namespace

TEST_CASE("linear ticks are multiples of a 1-2-5 step, labelled with the step's decimals") {
  auto t = linear_ticks(0, 1);
  std::vector<double> expect{0, 0.2, 0.4, 0.6, 0.8, 1.0};
  REQUIRE(t.size() == expect.size());
  for (size_t i = 0; i < expect.size(); ++i)
    CHECK(t[i].value == Approx(expect[i]).margin(1e-12));
  CHECK(labels(t) == std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});

  CHECK(nice_step(0, 10, 6) == Approx(2));
  CHECK(nice_step(0, 7, 6) == Approx(2));
  CHECK(nice_step(0, 0.03, 4) == Approx(0.01));
  CHECK(values(linear_ticks(-3.7, 12.1)) == std::vector<double>{0, 5, 10});
  CHECK(labels(linear_ticks(-12, 12)) == std::vector<std::string>{"-10", "-5", "0", "5", "10"});
  CHECK(linear_ticks(1, 1).empty());
  CHECK(linear_ticks(0, k_nan).empty());
}

TEST_CASE("log ticks are decades, thinned when many, 1-2-5 inside a narrow range") {
  auto t = log_ticks(1e-4, 1e-1);
  REQUIRE(t.size() == 4);
  for (int i = 0; i < 4; ++i)
    CHECK(t[i].value == Approx(std::pow(10.0, -4 + i)));
  CHECK(labels(t) == std::vector<std::string>{"1e-4", "0.001", "0.01", "0.1"});

  CHECK(log_ticks(1e-8, 1.0).size() == 5);  // 9 decades, every second one
  auto narrow = log_ticks(0.015, 0.09);
  REQUIRE(narrow.size() == 2);
  CHECK(narrow[0].value == Approx(0.02));
  CHECK(narrow[1].value == Approx(0.05));
  CHECK(log_ticks(0, 1).empty());
  CHECK(log_ticks(-1, 1).empty());
}

TEST_CASE("tick labels: fixed with the step's decimals, scientific when tiny or huge") {
  CHECK(format_tick(0.25, 0.05) == "0.25");
  CHECK(format_tick(10, 5) == "10");
  CHECK(format_tick(1.5e-5, 1e-6) == "1.5e-5");
  CHECK(format_tick(2e6, 1e6) == "2e6");
  CHECK(format_tick(1e300, 5e299) == "1e300");
  CHECK(format_log_tick(200) == "200");
  CHECK(format_log_tick(1e5) == "1e5");
}

TEST_CASE("a value maps linearly, or by log10, onto the pixel span") {
  axis_map y{0, 10, false, 500, 100};
  CHECK(y.to_px(0) == Approx(500));
  CHECK(y.to_px(2.5) == Approx(400));
  axis_map lg{1e-4, 1e-1, true, 0, 300};
  CHECK(lg.to_px(1e-3) == Approx(100));
  CHECK_FALSE(lg.accepts(0));
  CHECK_FALSE(y.accepts(k_inf));
}

TEST_CASE("a glyph renders its font pixels, upright and rotated, through a PNG") {
  const char* A[7] = {".###.", "#...#", "#...#", "#...#", "#####", "#...#", "#...#"};
  canvas c(40, 30);
  c.text(3, 4, "A", colors::black);
  c.text_up(20, 4, "A", colors::red);  // box 7 wide, 5 tall
  CHECK(canvas::text_width("AB") == 11);
  lagom::test::temp_dir dir("plot-test");
  REQUIRE(write_png(c, dir / "a.png").is_ok());
  image img = decode(dir / "a.png");
  REQUIRE(img.width == 40);
  REQUIRE(img.height == 30);
  for (int row = 0; row < 7; ++row)
    for (int col = 0; col < 5; ++col) {
      bool on = A[row][col] == '#';
      INFO("row " << row << " col " << col);
      CHECK(img.at(3 + col, 4 + row) == (on ? colors::black : colors::white));
      // Rotated counter-clockwise: glyph column u goes up from the bottom,
      // glyph row v goes right.
      CHECK(img.at(20 + row, 4 + 4 - col) == (on ? colors::red : colors::white));
    }
  CHECK(img.at(8, 4) == colors::white);  // the spacing column
}

TEST_CASE("write_png into a missing directory is an io_error naming the path, leaving nothing") {
  lagom::test::temp_dir dir("plot-test");
  std::string path = dir / "missing/plot.png";
  status s = write_png(canvas(10, 10), path);
  CHECK(s.code() == errc::io_error);
  CHECK(s.where() == path);
  CHECK(s.to_string().find(path) != std::string::npos);
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".tmp"));
  CHECK(fs::is_empty(dir.path()));

  s = plot_optimization_history({trial(0, "finished", 1.0)}, "loss", false, path);
  CHECK(s.code() == errc::io_error);
  CHECK(s.where() == path);
}

TEST_CASE("write_png replaces an existing file and leaves no temporary behind") {
  lagom::test::temp_dir dir("plot-test");
  std::string path = dir / "p.png";
  REQUIRE(write_png(canvas(10, 10), path).is_ok());
  REQUIRE(write_png(canvas(30, 20, colors::red), path).is_ok());
  image img = decode(path);
  CHECK(img.width == 30);
  CHECK(img.at(29, 19) == colors::red);
  CHECK_FALSE(fs::exists(path + ".tmp"));
}

TEST_CASE("optimization history: markers, best-so-far steps and a white background") {
  // Minimizing: the best is 0.5 after trial 0, 0.3 from trial 1 (trial 2 is
  // stopped early and does not count, trial 3 does not improve), 0.2 from 4.
  std::vector<plot_trial> trials{
      trial(0, "finished", 0.5), trial(1, "finished", 0.3), trial(2, "stopped_early", 0.1),
      trial(3, "finished", 0.4), trial(4, "finished", 0.2), trial(5, "failed", 0.05),
      trial(6, "finished", k_nan), trial(7, "finished", k_inf)};
  lagom::test::temp_dir dir("plot-test");
  std::string path = dir / "history.png";
  REQUIRE(plot_optimization_history(trials, "val_loss", false, path).is_ok());
  history_layout L;
  draw_optimization_history(trials, "val_loss", false, &L);
  image img = decode(path);
  REQUIRE(img.width == 900);
  REQUIRE(img.height == 540);

  SECTION("background") {
    CHECK(img.at(0, 0) == colors::white);
    CHECK(img.at(899, 539) == colors::white);
    CHECK(img.at(L.box.right - 3, L.box.bottom - 3) == colors::white);
    // Failed, NaN and infinite trials are left out: ids 0..4 span the x axis.
    CHECK(L.x.lo < 0);
    CHECK(L.x.hi < 5);
    CHECK(std::isfinite(L.y.lo));
    CHECK(L.y.lo < 0.1);
    CHECK(L.y.hi < 0.55);
  }
  auto px = [](double v) { return static_cast<int>(std::lround(v)); };

  SECTION("the best-so-far line lies at the running minimum") {
    struct sample {
      double between_a, between_b, best;
    };
    for (sample s : {sample{0, 1, 0.5}, sample{1, 2, 0.3}, sample{2, 3, 0.3}, sample{3, 4, 0.3}}) {
      int x = px((L.x.to_px(s.between_a) + L.x.to_px(s.between_b)) / 2);
      int y = px(L.y.to_px(s.best));
      INFO("column " << x << ", best " << s.best);
      CHECK(img.at(x, y) == colors::red);
      for (int row = L.box.top; row < L.box.bottom; ++row)
        if (reddish(img.at(x, row)))
          CHECK(std::abs(row - y) <= 1);
    }
    // After the last improvement the level runs on to the last trial.
    int x4 = px(L.x.to_px(4));
    CHECK(img.at(x4 - 10, px(L.y.to_px(0.3))) == colors::red);
    // The riser at trial 4 from 0.3 down to 0.2.
    CHECK(img.at(x4, px(L.y.to_px(0.25))) == colors::red);
    // Nothing red beyond the last trial.
    CHECK_FALSE(reddish(img.at(x4 + 6, px(L.y.to_px(0.2)))));
  }

  SECTION("a marker per trial with a value, stopped-early ones in orange") {
    for (const plot_trial& t : trials) {
      if (!std::isfinite(t.value) || t.status == run_status::failed)
        continue;
      INFO("trial " << t.id);
      rgb want = t.status == run_status::finished ? colors::blue : colors::orange;
      CHECK(img.at(px(L.x.to_px(t.id)), px(L.y.to_px(t.value))) == want);
    }
  }
}

TEST_CASE("optimization history when maximizing follows the running maximum") {
  std::vector<plot_trial> trials{trial(10, "finished", 0.6), trial(11, "finished", 0.9),
                                 trial(12, "finished", 0.7)};
  lagom::test::temp_dir dir("plot-test");
  REQUIRE(plot_optimization_history(trials, "acc", true, dir / "h.png").is_ok());
  history_layout L;
  draw_optimization_history(trials, "acc", true, &L);
  image img = decode(dir / "h.png");
  int x = static_cast<int>(std::lround((L.x.to_px(11) + L.x.to_px(12)) / 2));
  CHECK(img.at(x, static_cast<int>(std::lround(L.y.to_px(0.9)))) == colors::red);
}

TEST_CASE("with no finished trials both plots still write an image saying so") {
  std::vector<plot_trial> none{trial(0, "failed", 1.0), trial(1, "finished", k_nan),
                               plot_trial{2, run_status::finished, false, 0, {}}};
  canvas expect_history(900, 540);
  draw_title(expect_history, "Optimization History Plot");
  draw_message(expect_history, "no finished trials");
  canvas expect_parallel(900, 540);
  draw_title(expect_parallel, "Parallel Coordinate Plot");
  draw_message(expect_parallel, "no finished trials");

  lagom::test::temp_dir dir("plot-test");
  REQUIRE(plot_optimization_history(none, "loss", false, dir / "h.png").is_ok());
  std::vector<plot_axis> x_axis{plot_axis{"x", false, {}}};
  REQUIRE(plot_parallel_coordinates(x_axis, none, "loss", false, dir / "p.png").is_ok());
  REQUIRE(plot_optimization_history({}, "loss", false, dir / "h0.png").is_ok());
  for (auto [file, want] : {std::pair{"h.png", &expect_history}, std::pair{"h0.png", &expect_history},
                            std::pair{"p.png", &expect_parallel}}) {
    image img = decode(dir / file);
    REQUIRE(img.width == 900);
    REQUIRE(img.height == 540);
    int differing = 0;
    for (int y = 0; y < 540; ++y)
      for (int x = 0; x < 900; ++x)
        differing += img.at(x, y) != want->at(x, y);
    CHECK(differing == 0);
  }
  // The message is really there: dark pixels in the middle row band.
  int dark = 0;
  for (int x = 0; x < 900; ++x)
    for (int y = 262; y < 278; ++y)
      dark += expect_history.at(x, y) != colors::white;
  CHECK(dark > 100);
}

TEST_CASE("parallel coordinates: an axis per hyperparameter, lines shaded by value") {
  std::vector<plot_axis> axes{{"lr", true, {}}, {"layers", false, {}},
                              {"act", false, {"relu", "tanh", "gelu"}}};
  std::vector<plot_trial> trials{
      trial(0, "finished", 0.9, {1e-3, 2, 2}),   // the best (maximizing)
      trial(1, "finished", 0.5, {1e-1, 4, 0}),   // the worst
      trial(2, "finished", 0.7, {1e-4, 3, 1}),
      trial(3, "stopped_early", 0.95, {1e-2, 3, 1}),  // not finished: left out
      trial(4, "finished", k_nan, {1e-2, 3, 1}),
      trial(5, "finished", 0.8, {-1.0, 3, 1}),   // not on a log axis
      trial(6, "finished", 0.8, {1e-2, 3, 3}),   // no category 3
      trial(7, "finished", 0.8, {1e-2, k_inf, 1}),
      trial(8, "finished", 0.8, {1e-2, 3})};     // a coordinate short
  lagom::test::temp_dir dir("plot-test");
  std::string path = dir / "parallel.png";
  REQUIRE(plot_parallel_coordinates(axes, trials, "accuracy", true, path).is_ok());
  parallel_layout L;
  draw_parallel_coordinates(axes, trials, "accuracy", true, &L);
  image img = decode(path);
  REQUIRE(img.width == 900);
  REQUIRE(img.height == 540);
  CHECK(img.at(0, 0) == colors::white);
  CHECK(img.at(899, 539) == colors::white);

  REQUIRE(L.axis_x.size() == 4);
  REQUIRE(L.axes.size() == 4);
  CHECK(L.best == 0.9);
  CHECK(L.worst == 0.5);
  // Only trials 0..2 count: the metric axis spans 0.5..0.9, lr 1e-4..1e-1.
  CHECK(L.axes[0].lo > 0.45);
  CHECK(L.axes[0].hi < 0.95);
  CHECK(L.axes[1].log);
  CHECK(L.axes[1].lo < 1e-4);
  CHECK(L.axes[1].lo > 5e-5);
  CHECK(L.axes[1].hi < 0.2);
  CHECK(L.axes[3].lo == -0.5);  // categories 0..2 centred in the axis
  CHECK(L.axes[3].hi == 2.5);
  for (int x : L.axis_x)
    CHECK(img.at(x, L.box.top + 2) == colors::dark_gray);

  // Sample each trial's segment a quarter of the way from the metric axis to
  // the lr axis: the best is darkest, the worst lightest.
  auto shade_at = [&](double value, double lr) {
    double x0 = L.axis_x[0], x1 = L.axis_x[1];
    double y0 = L.axes[0].to_px(value), y1 = L.axes[1].to_px(lr);
    double x = x0 + (x1 - x0) / 4;
    return img.at(static_cast<int>(std::lround(x)),
                  static_cast<int>(std::lround(y0 + (y1 - y0) / 4)));
  };
  rgb best = shade_at(0.9, 1e-3), worst = shade_at(0.5, 1e-1), mid = shade_at(0.7, 1e-4);
  CHECK(near(best, blues(1.0), 70));
  CHECK(near(worst, blues(0.0), 40));
  CHECK(best.r + best.g + best.b < mid.r + mid.g + mid.b);
  CHECK(mid.r + mid.g + mid.b < worst.r + worst.g + worst.b);

  // The colour bar: best (the maximum) dark at the top, worst light at the bottom.
  int bar_x = (L.bar_left + L.bar_right) / 2;
  CHECK(near(img.at(bar_x, L.box.top + 1), blues(1.0), 3));
  CHECK(near(img.at(bar_x, L.box.bottom - 1), blues(0.0), 3));
}

TEST_CASE("parallel coordinates when minimizing put the darkest colour at the minimum") {
  std::vector<plot_axis> axes{plot_axis{"x", false, {}}};
  std::vector<plot_trial> trials{trial(0, "finished", 1.0, {0.0}), trial(1, "finished", 3.0, {1.0})};
  parallel_layout L;
  canvas c = draw_parallel_coordinates(axes, trials, "loss", false, &L);
  CHECK(L.best == 1.0);
  int bar_x = (L.bar_left + L.bar_right) / 2;
  CHECK(near(c.at(bar_x, L.box.bottom - 1), blues(1.0), 3));
  CHECK(near(c.at(bar_x, L.box.top + 1), blues(0.0), 3));
}
