#pragma once
// A store that fails on command, for fault tests of whatever writes through object_store (the
// sink): it wraps a real store (local_store in a temp directory, or the S3 server) and makes
// chosen calls return errors, through the interface, with no flag in production code (STYLE.md
// rule 6). Linked only into tests: target clicktrail::store_testing.
//
//   faulty_store faulty(inner);
//   faulty.inject({.at = fault_point::commit, .times = 2});                 // next 2 commits: retry
//   faulty.inject({.at = fault_point::write, .after_bytes = 1 << 20});      // dies 1 MiB into an upload
//   faulty.inject({.at = fault_point::put, .outcome = base::outcome::fail}); // next put: fail
//   faulty.inject({.at = fault_point::commit, .after_effect = true});       // commits, then reports
//                                                                           // an error (lost answer)
//   faulty.inject({.at = fault_point::commit, .hold = true});               // the next commit waits
//   faulty.wait_until_held(); …; faulty.release();                          // (a stalled writer)
//
// A failed write or commit aborts the inner upload and is repeated by later calls on that upload,
// as the real stores do. Thread-safe: faults
// are matched under a mutex, so concurrent callers each consume one. The faulty_store must
// outlive its uploads; the inner store must outlive the faulty_store.

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "base/result.h"
#include "store/object_store.h"

namespace clicktrail::store {

enum class fault_point { begin_upload, write, commit, put, put_if, get, head, list, remove, retire };
inline constexpr std::size_t fault_point_count = 10;

struct fault {
  fault_point at = fault_point::commit;
  int times = 1;  // matching calls that fail; then the fault is spent
  base::outcome outcome = base::outcome::retry;
  std::string key_prefix{};  // only keys (list: prefixes) starting with this; "" matches all
  // write: the upload fails once it would pass this many bytes (the bytes before are written).
  std::int64_t after_bytes = 0;
  // commit, put, put_if, remove, retire: the operation takes effect, then the error is returned,
  // as when the store did it but its answer was lost.
  bool after_effect = false;
  // The matching call stops before doing anything and waits for release() — a minute at most, so
  // a test that fails while a call is held still ends — then goes on as if nothing happened (no
  // error): a writer stalled inside a store call, whose request arrives late.
  bool hold = false;
};

class faulty_store final : public object_store {
 public:
  explicit faulty_store(object_store& inner) : inner_(inner) {}

  void inject(fault f);
  void clear();  // forget the faults not yet spent
  // Waits until a call is held by a `hold` fault (false after `timeout`); release() lets the calls
  // held now go on.
  bool wait_until_held(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void release();
  int calls(fault_point p) const;     // calls made, failed or not
  int injected(fault_point p) const;  // errors returned by injection

  base::result<std::unique_ptr<upload>> begin_upload(std::string key) override;
  base::status put(std::string_view key, std::string_view bytes) override;
  base::result<std::optional<std::string>> put_if(std::string_view key, std::string_view bytes,
                                                  const std::optional<std::string>& expected) override;
  // fault_point::get
  base::result<std::optional<stored_object>> read(std::string_view key) override;
  base::result<std::optional<object_info>> head(std::string_view key) override;
  base::result<std::vector<object_info>> list(std::string_view prefix) override;
  base::status remove(std::string_view key) override;
  base::status remove_unfinished(std::string_view key) override { return inner_.remove_unfinished(key); }
  base::status retire(std::string_view key, std::string_view empty) override;
  std::string describe() const override { return "faulty(" + inner_.describe() + ")"; }
  std::optional<std::string> failing() const override { return inner_.failing(); }

  // For faulty uploads: counts the call and, when a fault matches, spends it and returns it.
  // `bytes_before`/`bytes` matter to write faults only.
  std::optional<fault> take(fault_point p, std::string_view key, std::int64_t bytes_before = 0,
                            std::int64_t bytes = 0);
  static base::error make_error(const fault& f, std::string_view key);

 private:
  object_store& inner_;
  mutable std::mutex mutex_;
  std::deque<fault> faults_;
  std::condition_variable held_changed_;
  int held_ = 0;      // calls waiting in a hold
  int releases_ = 0;  // release() calls so far
  std::array<int, fault_point_count> calls_{};
  std::array<int, fault_point_count> injected_{};
};

}  // namespace clicktrail::store
