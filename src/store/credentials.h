#pragma once
// AWS credentials and the interface every source of them implements (environment, shared
// credentials file, container endpoint, EC2 instance metadata; see credential_sources.h), and
// the cache in front of them that refreshes temporary credentials before they expire.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace clicktrail::store {

struct credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  // Temporary credentials (container, instance role, STS) expire; long-term keys do not.
  std::optional<std::chrono::system_clock::time_point> expires;
  std::string source;  // "environment", "profile default", … for messages; never a secret
};

// One place credentials may come from. fetch() answers nullopt when the source is not set up
// here (no variables, no file), so that the chain tries the next one; an error when it is set
// up but failing (file without the profile, endpoint down). Called under the chain's lock.
class credential_source {
 public:
  virtual ~credential_source() = default;
  virtual base::result<std::optional<credentials>> fetch() = 0;
  virtual std::string name() const = 0;
};

// The first source that answers wins, in order. Credentials are cached; temporary ones are
// fetched again `refresh_margin` before they expire, and if that fails while the cached ones are
// still valid those are used (with a warning) until they are not.
//
// Thread-safety: get() is called by every thread that signs a request; a mutex serialises
// fetches, so a refresh happens once however many threads need it.
class credential_chain {
 public:
  explicit credential_chain(std::vector<std::unique_ptr<credential_source>> sources,
                            std::chrono::seconds refresh_margin = std::chrono::minutes(5));

  base::result<credentials> get();
  // Drops the cache, e.g. after S3 answered ExpiredToken: the next get() fetches.
  void invalidate();

 private:
  base::result<credentials> fetch_locked();

  std::vector<std::unique_ptr<credential_source>> sources_;
  std::chrono::seconds refresh_margin_;
  std::mutex mutex_;
  std::optional<credentials> cached_;
  std::chrono::system_clock::time_point refresh_at_{};   // for temporary credentials
  std::chrono::system_clock::time_point pause_until_{};  // after a refresh failed
};

}  // namespace clicktrail::store
