#pragma once
// named_type<T, Tag>: a value that cannot be mixed up with another of the same representation
// (a Kafka partition with an offset, a topic with a site key). Comparison and hashing only;
// arithmetic is spelled out where it is meant.

#include <compare>
#include <functional>
#include <utility>

namespace clicktrail::base {

template <class T, class Tag>
class named_type {
 public:
  using value_type = T;

  constexpr named_type() = default;
  constexpr explicit named_type(T v) : value_(std::move(v)) {}

  constexpr const T& get() const noexcept { return value_; }
  constexpr T& get() noexcept { return value_; }

  friend constexpr auto operator<=>(const named_type&, const named_type&) = default;

 private:
  T value_{};
};

}  // namespace clicktrail::base

template <class T, class Tag>
struct std::hash<clicktrail::base::named_type<T, Tag>> {
  size_t operator()(const clicktrail::base::named_type<T, Tag>& v) const noexcept {
    return std::hash<T>{}(v.get());
  }
};
