// The credential chain's cache, and the sources that need no network: environment, shared
// credentials file, static.
#include "store/credentials.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "base/log.h"
#include "base/text.h"
#include "store/credential_sources.h"

extern char** environ;  // NOLINT: POSIX declares it nowhere in a header

namespace clicktrail::store {
namespace {

using base::trim;

using clock = std::chrono::system_clock;
using namespace std::chrono_literals;

// After a failed refresh while the cached credentials still work, wait this long before trying
// again, rather than stalling every request on an endpoint that is down.
constexpr auto failed_refresh_pause = 10s;

class env_source final : public credential_source {
 public:
  explicit env_source(const environment& env)
      : id_(env.get("AWS_ACCESS_KEY_ID")),
        secret_(env.get("AWS_SECRET_ACCESS_KEY")),
        token_(env.get("AWS_SESSION_TOKEN")) {}

  base::result<std::optional<credentials>> fetch() override {
    if (!id_ && !secret_) return std::optional<credentials>();
    if (!id_ || !secret_) {
      return base::error::fail(fmt::format("AWS credentials: {} is set but {} is not; set both, or neither",
                                           id_ ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                                           id_ ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"));
    }
    return std::optional<credentials>(
        credentials{*id_, *secret_, token_.value_or(""), std::nullopt, "environment"});
  }
  std::string name() const override { return "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"; }

 private:
  std::optional<std::string> id_, secret_, token_;
};

class file_source final : public credential_source {
 public:
  explicit file_source(const environment& env)
      : explicit_path_(env.get("AWS_SHARED_CREDENTIALS_FILE").has_value()),
        path_(env.get("AWS_SHARED_CREDENTIALS_FILE")
                  .value_or(env.get("HOME").value_or("") + "/.aws/credentials")),
        explicit_profile_(env.get("AWS_PROFILE").has_value()),
        profile_(env.get("AWS_PROFILE").value_or("default")) {}

  base::result<std::optional<credentials>> fetch() override {
    std::ifstream in(path_);
    if (!in) {
      if (!explicit_path_) return std::optional<credentials>();
      return base::error::fail(fmt::format(
          "AWS credentials: cannot read AWS_SHARED_CREDENTIALS_FILE {}; fix the path or unset the variable",
          path_));
    }
    credentials c;
    c.source = fmt::format("profile {} in {}", profile_, path_);
    bool in_profile = false, seen = false;
    for (std::string line; std::getline(in, line);) {
      const std::string_view l = trim(line);
      if (l.empty() || l.front() == '#' || l.front() == ';') continue;
      if (l.front() == '[' && l.back() == ']') {
        std::string_view section = trim(l.substr(1, l.size() - 2));
        if (section.starts_with("profile ")) section = trim(section.substr(8));  // config-file spelling
        in_profile = section == profile_;
        seen = seen || in_profile;
        continue;
      }
      const size_t eq = l.find('=');
      if (!in_profile || eq == std::string_view::npos) continue;
      const std::string_view key = trim(l.substr(0, eq));
      const std::string value(trim(l.substr(eq + 1)));
      if (key == "aws_access_key_id") c.access_key_id = value;
      if (key == "aws_secret_access_key") c.secret_access_key = value;
      if (key == "aws_session_token") c.session_token = value;
    }
    if (!c.access_key_id.empty() && !c.secret_access_key.empty())
      return std::optional<credentials>(std::move(c));
    if (!explicit_profile_) return std::optional<credentials>();
    return base::error::fail(fmt::format(
        "AWS credentials: AWS_PROFILE={} but {} {}; add aws_access_key_id and aws_secret_access_key to [{}] "
        "(role_arn, sso and credential_process profiles are not supported), or unset AWS_PROFILE",
        profile_, path_, seen ? "has no keys in that profile" : "has no such profile", profile_));
  }
  std::string name() const override {
    return fmt::format("shared credentials file {} [{}]", path_, profile_);
  }

 private:
  bool explicit_path_;
  std::string path_;
  bool explicit_profile_;
  std::string profile_;
};

class fixed_source final : public credential_source {
 public:
  explicit fixed_source(credentials c) : c_(std::move(c)) {}
  base::result<std::optional<credentials>> fetch() override { return std::optional<credentials>(c_); }
  std::string name() const override { return "static credentials"; }

 private:
  credentials c_;
};

}  // namespace

environment environment::from_process() {
  std::map<std::string, std::string, std::less<>> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string_view::npos) vars.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return environment(std::move(vars));
}

std::unique_ptr<credential_source> environment_source(const environment& env) {
  return std::make_unique<env_source>(env);
}

std::unique_ptr<credential_source> profile_source(const environment& env) {
  return std::make_unique<file_source>(env);
}

std::unique_ptr<credential_source> static_source(credentials c) {
  return std::make_unique<fixed_source>(std::move(c));
}

credential_chain::credential_chain(std::vector<std::unique_ptr<credential_source>> sources,
                                   std::chrono::seconds refresh_margin)
    : sources_(std::move(sources)), refresh_margin_(refresh_margin) {}

base::result<credentials> credential_chain::get() {
  std::lock_guard lock(mutex_);
  const auto now = clock::now();
  if (cached_ && (!cached_->expires || now < refresh_at_)) return *cached_;
  const bool still_valid = cached_ && now < *cached_->expires;
  if (still_valid && now < pause_until_) return *cached_;
  auto fresh = fetch_locked();
  if (fresh) {
    cached_ = *fresh;
    if (cached_->expires) {
      // Refresh `margin` before expiry, or halfway for credentials that live shorter than that.
      const auto life = std::max<clock::duration>(*cached_->expires - now, clock::duration::zero());
      refresh_at_ = *cached_->expires - std::min<clock::duration>(refresh_margin_, life / 2);
    }
    return *fresh;
  }
  if (still_valid) {
    pause_until_ = now + failed_refresh_pause;
    base::logger_for("store").warn(
        "refreshing AWS credentials failed; using the current ones until they expire "
        "source={} expires_in_s={} error={}",
        cached_->source, std::chrono::duration_cast<std::chrono::seconds>(*cached_->expires - now).count(),
        fresh.err().message);
    return *cached_;
  }
  cached_.reset();
  return std::move(fresh).err();
}

void credential_chain::invalidate() {
  std::lock_guard lock(mutex_);
  cached_.reset();
}

base::result<credentials> credential_chain::fetch_locked() {
  std::string tried;
  for (const auto& source : sources_) {
    auto c = source->fetch();
    if (!c) return std::move(c).err();
    if (c->has_value()) return std::move(**c);
    tried += tried.empty() ? "" : ", ";
    tried += source->name();
  }
  return base::error::fail(fmt::format(
      "no AWS credentials found; tried: {}. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, write "
      "~/.aws/credentials, or run with an instance or container role",
      tried));
}

}  // namespace clicktrail::store
