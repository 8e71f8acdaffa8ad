#pragma once
// result<T>: a value or an error that tells the caller what to do next.
//
// Hot paths (ingest, the sink loop) return result<T> instead of throwing. An error carries an
// `outcome` so the caller can act without parsing text: retry later (the broker or the store is
// briefly unavailable), reject the input (the client sent something invalid), or fail (the
// operation cannot succeed as configured), or stand down (conflict: another writer changed what the
// caller meant to change — it no longer owns it). Exceptions are reserved for start-up and for the
// top of a request or task (STYLE.md rule 4).

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace clicktrail::base {

enum class outcome {
  retry,   // transient: the same call may succeed later (timeouts, 5xx, broker down)
  reject,  // the input is at fault: report it to whoever sent it, do not retry
  fail,    // permanent: configuration or environment must change first
  // another writer got there first (a conditional write found the object changed, an upload was
  // aborted by someone else): retrying cannot help; the caller has lost what it was writing to
  conflict,
};

const char* to_string(outcome o) noexcept;

struct error {
  outcome what = outcome::fail;
  std::string message;  // one sentence: what went wrong, with which input, and the fix

  static error retry(std::string m) { return {outcome::retry, std::move(m)}; }
  static error reject(std::string m) { return {outcome::reject, std::move(m)}; }
  static error fail(std::string m) { return {outcome::fail, std::move(m)}; }
  static error conflict(std::string m) { return {outcome::conflict, std::move(m)}; }

  bool retriable() const noexcept { return what == outcome::retry; }
  bool conflicting() const noexcept { return what == outcome::conflict; }
};

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  result(error e) : state_(std::in_place_index<1>, std::move(e)) {}      // NOLINT: implicit by design

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const error& err() const& {
    assert(!ok());
    return std::get<1>(state_);
  }
  error&& err() && {
    assert(!ok());
    return std::get<1>(std::move(state_));
  }

 private:
  std::variant<T, error> state_;
};

// result<void>: success carries nothing.
struct ok_t {};
inline constexpr ok_t ok_v{};

template <>
class [[nodiscard]] result<void> {
 public:
  result(ok_t = ok_v) {}                                    // NOLINT: implicit by design
  result(error e) : error_(std::move(e)), failed_(true) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const error& err() const& {
    assert(failed_);
    return error_;
  }
  error&& err() && {
    assert(failed_);
    return std::move(error_);
  }

 private:
  error error_;
  bool failed_ = false;
};

using status = result<void>;

}  // namespace clicktrail::base
