#include "base/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <variant>

namespace clicktrail::base {
namespace {

enum kind : int { kind_counter, kind_gauge, kind_histogram, kind_gauge_fn };

const char* type_name(int k) {
  switch (k) {
    case kind_counter:
      return "counter";
    case kind_histogram:
      return "histogram";
    default:
      return "gauge";
  }
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  auto head = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; };
  auto tail = [&](char c) { return head(c) || (c >= '0' && c <= '9'); };
  return head(name[0]) && std::all_of(name.begin() + 1, name.end(), tail);
}

void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (quote && c == '"')
      out += "\\\"";
    else
      out.push_back(c);
  }
}

// `{a="x",b="y"}`, with `extra` (such as le="0.5") appended last; empty when there are none.
std::string label_text(const labels& l, std::string_view extra = {}) {
  if (l.empty() && extra.empty()) return {};
  std::string out = "{";
  for (const auto& [k, v] : l) {
    if (out.size() > 1) out.push_back(',');
    out += k;
    out += "=\"";
    append_escaped(out, v, true);
    out.push_back('"');
  }
  if (!extra.empty()) {
    if (out.size() > 1) out.push_back(',');
    out += extra;
  }
  out.push_back('}');
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  return fmt::format("{}", v);
}

}  // namespace

histogram::histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size())) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end())) {
    throw std::logic_error("histogram bounds must be sorted ascending");
  }
}

void histogram::observe(double v) noexcept {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  if (it != bounds_.end()) {
    buckets_[static_cast<size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::uint64_t histogram::cumulative(size_t i) const noexcept {
  std::uint64_t total = 0;
  for (size_t b = 0; b <= i && b < bounds_.size(); ++b) total += buckets_[b].load(std::memory_order_relaxed);
  return total;
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

counter_family::counter_family(registry& r, std::string name, std::string help,
                               std::vector<std::string> label_names)
    : registry_(r), name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

counter& counter_family::at(std::initializer_list<std::string_view> values) {
  if (values.size() != label_names_.size()) {
    throw std::logic_error(fmt::format("metric \"{}\" takes {} label values", name_, label_names_.size()));
  }
  std::string key;
  for (auto v : values) {
    key.append(v);
    key.push_back('\x1f');
  }
  std::lock_guard lock(mutex_);
  if (auto it = counters_.find(key); it != counters_.end()) return *it->second;
  labels l;
  size_t i = 0;
  for (auto v : values) l.emplace_back(label_names_[i++], std::string(v));
  counter& c = registry_.add_counter(name_, help_, l);
  counters_.emplace(std::move(key), &c);
  return c;
}

struct registry::family {
  int kind;
  std::string help;
  using instance = std::variant<std::unique_ptr<counter>, std::unique_ptr<gauge>, std::unique_ptr<histogram>,
                                std::function<double()>>;
  std::vector<std::pair<labels, instance>> instances;

  instance* find(const labels& l) {
    for (auto& [key, inst] : instances) {
      if (key == l) return &inst;
    }
    return nullptr;
  }
};

registry::registry() = default;
registry::~registry() = default;

registry::family& registry::family_for(std::string_view name, std::string_view help, int k) {
  if (!valid_name(name)) throw std::logic_error(fmt::format("invalid metric name \"{}\"", name));
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), std::make_unique<family>(family{k, std::string(help), {}}))
             .first;
  } else if (it->second->kind != k) {
    throw std::logic_error(fmt::format("metric \"{}\" registered twice with different types", name));
  }
  return *it->second;
}

counter& registry::add_counter(std::string_view name, std::string_view help, const labels& l) {
  std::lock_guard lock(mutex_);
  auto& f = family_for(name, help, kind_counter);
  if (auto* existing = f.find(l)) return *std::get<std::unique_ptr<counter>>(*existing);
  return *std::get<std::unique_ptr<counter>>(f.instances.emplace_back(l, std::make_unique<counter>()).second);
}

gauge& registry::add_gauge(std::string_view name, std::string_view help, const labels& l) {
  std::lock_guard lock(mutex_);
  auto& f = family_for(name, help, kind_gauge);
  if (auto* existing = f.find(l)) return *std::get<std::unique_ptr<gauge>>(*existing);
  return *std::get<std::unique_ptr<gauge>>(f.instances.emplace_back(l, std::make_unique<gauge>()).second);
}

histogram& registry::add_histogram(std::string_view name, std::string_view help,
                                   std::vector<double> upper_bounds, const labels& l) {
  std::lock_guard lock(mutex_);
  auto& f = family_for(name, help, kind_histogram);
  if (auto* existing = f.find(l)) return *std::get<std::unique_ptr<histogram>>(*existing);
  auto h = std::make_unique<histogram>(std::move(upper_bounds));
  return *std::get<std::unique_ptr<histogram>>(f.instances.emplace_back(l, std::move(h)).second);
}

void registry::add_gauge_fn(std::string_view name, std::string_view help, const labels& l,
                            std::function<double()> read) {
  std::lock_guard lock(mutex_);
  auto& f = family_for(name, help, kind_gauge_fn);
  if (auto* existing = f.find(l)) {
    *existing = std::move(read);
  } else {
    f.instances.emplace_back(l, std::move(read));
  }
}

std::string registry::expose() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + ' ';
    append_escaped(out, f->help, false);
    out += fmt::format("\n# TYPE {} {}\n", name, type_name(f->kind));
    for (const auto& [l, inst] : f->instances) {
      if (const auto* c = std::get_if<std::unique_ptr<counter>>(&inst)) {
        out += fmt::format("{}{} {}\n", name, label_text(l), (*c)->value());
      } else if (const auto* g = std::get_if<std::unique_ptr<gauge>>(&inst)) {
        out += fmt::format("{}{} {}\n", name, label_text(l), (*g)->value());
      } else if (const auto* fn = std::get_if<std::function<double()>>(&inst)) {
        out += fmt::format("{}{} {}\n", name, label_text(l), number((*fn)()));
      } else {
        const auto& h = *std::get<std::unique_ptr<histogram>>(inst);
        for (size_t i = 0; i < h.upper_bounds().size(); ++i) {
          const auto le = fmt::format("le=\"{}\"", number(h.upper_bounds()[i]));
          out += fmt::format("{}_bucket{} {}\n", name, label_text(l, le), h.cumulative(i));
        }
        out += fmt::format("{}_bucket{} {}\n", name, label_text(l, "le=\"+Inf\""), h.count());
        out += fmt::format("{}_sum{} {}\n", name, label_text(l), number(h.sum()));
        out += fmt::format("{}_count{} {}\n", name, label_text(l), h.count());
      }
    }
  }
  return out;
}

}  // namespace clicktrail::base
