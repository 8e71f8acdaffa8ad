#include "base/log.h"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>

#include "base/redact.h"

namespace clicktrail::base {
namespace {

std::mutex registry_mutex;

// Every line, whichever module writes it, goes through redact_secrets before `inner` (see
// redact.h): a message that quotes an answer from elsewhere never prints a secret.
class redacting_sink final : public spdlog::sinks::sink {
 public:
  explicit redacting_sink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {}

  void log(const spdlog::details::log_msg& msg) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!may_hold_secrets(payload)) return inner_->log(msg);
    const std::string clean = redact_secrets(payload);
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(clean.data(), clean.size());
    inner_->log(copy);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  spdlog::sink_ptr inner_;
};

spdlog::sink_ptr shared_sink() {
  static auto sink = [] {
    auto s = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    s->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %l %n: %v",
                                                                 spdlog::pattern_time_type::utc));
    return std::make_shared<redacting_sink>(std::move(s));
  }();
  return sink;
}

spdlog::level::level_enum current_level = spdlog::level::info;

}  // namespace

status init_logging(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return error::fail(
        fmt::format("unknown log level \"{}\"; use one of trace, debug, info, warn, error, off", level));
  }
  std::lock_guard lock(registry_mutex);
  current_level = parsed;
  spdlog::apply_all([parsed](const std::shared_ptr<spdlog::logger>& l) { l->set_level(parsed); });
  return ok_v;
}

spdlog::logger& logger_for(std::string_view module) {
  std::lock_guard lock(registry_mutex);
  const std::string name(module);
  if (auto existing = spdlog::get(name)) return *existing;
  auto created = std::make_shared<spdlog::logger>(name, shared_sink());
  created->set_level(current_level);
  created->flush_on(spdlog::level::warn);
  spdlog::register_logger(created);
  return *created;
}

}  // namespace clicktrail::base
