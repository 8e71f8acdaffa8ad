#include "store/testing/faulty_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace clicktrail::store {
namespace {

constexpr std::array<std::string_view, fault_point_count> point_names = {
    "begin_upload", "write", "commit", "put", "put_if", "get", "head", "list", "remove", "retire"};

std::size_t index(fault_point p) {
  return static_cast<std::size_t>(p);
}

// Wraps the inner upload; asks the store whether this write or commit is to fail.
class faulty_upload final : public upload {
 public:
  faulty_upload(faulty_store& store, std::string key, std::unique_ptr<upload> inner)
      : store_(store), key_(std::move(key)), inner_(std::move(inner)) {}

  base::status write(std::string_view bytes) override {
    if (failure_) return *failure_;
    const std::int64_t before = inner_->bytes_written();
    if (auto f = store_.take(fault_point::write, key_, before, static_cast<std::int64_t>(bytes.size()))) {
      const auto keep = static_cast<std::size_t>(
          std::clamp<std::int64_t>(f->after_bytes - before, 0, static_cast<std::int64_t>(bytes.size())));
      (void)inner_->write(bytes.substr(0, keep));
      inner_->abort();
      failure_ = faulty_store::make_error(*f, key_);
      return *failure_;
    }
    return inner_->write(bytes);
  }

  base::status commit() override {
    if (failure_) return *failure_;
    if (auto f = store_.take(fault_point::commit, key_)) {
      if (f->after_effect) {
        if (auto s = inner_->commit(); !s) return s;
      } else {
        inner_->abort();
      }
      failure_ = faulty_store::make_error(*f, key_);
      return *failure_;
    }
    return inner_->commit();
  }

  void abort() override { inner_->abort(); }
  std::int64_t bytes_written() const override { return inner_->bytes_written(); }
  std::int64_t buffered_bytes() const override { return inner_->buffered_bytes(); }

 private:
  faulty_store& store_;
  std::string key_;
  std::unique_ptr<upload> inner_;
  std::optional<base::error> failure_;  // an injected error, repeated like the real stores do
};

}  // namespace

void faulty_store::inject(fault f) {
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(f));
}

void faulty_store::clear() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

int faulty_store::calls(fault_point p) const {
  std::lock_guard lock(mutex_);
  return calls_[index(p)];
}

int faulty_store::injected(fault_point p) const {
  std::lock_guard lock(mutex_);
  return injected_[index(p)];
}

bool faulty_store::wait_until_held(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return held_changed_.wait_for(lock, timeout, [this] { return held_ > 0; });
}

void faulty_store::release() {
  std::lock_guard lock(mutex_);
  ++releases_;
  held_changed_.notify_all();
}

std::optional<fault> faulty_store::take(fault_point p, std::string_view key, std::int64_t bytes_before,
                                        std::int64_t bytes) {
  std::unique_lock lock(mutex_);
  ++calls_[index(p)];
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->at != p || !key.starts_with(it->key_prefix)) continue;
    if (p == fault_point::write && bytes_before + bytes <= it->after_bytes) continue;
    fault f = *it;
    if (--it->times <= 0) faults_.erase(it);
    if (f.hold) {
      ++held_;
      held_changed_.notify_all();
      const int releases = releases_;
      held_changed_.wait_for(lock, std::chrono::minutes(1), [&] { return releases_ != releases; });
      --held_;
      return std::nullopt;  // then the call goes on, late
    }
    ++injected_[index(p)];
    return f;
  }
  return std::nullopt;
}

base::error faulty_store::make_error(const fault& f, std::string_view key) {
  return base::error{f.outcome,
                     fmt::format("injected fault: {} of {} failed{} (faulty_store)", point_names[index(f.at)],
                                 key, f.after_effect ? " after taking effect" : "")};
}

base::result<std::unique_ptr<upload>> faulty_store::begin_upload(std::string key) {
  if (auto f = take(fault_point::begin_upload, key)) return make_error(*f, key);
  auto inner = inner_.begin_upload(key);
  if (!inner) return std::move(inner).err();
  return std::unique_ptr<upload>(std::make_unique<faulty_upload>(*this, std::move(key), std::move(*inner)));
}

base::status faulty_store::put(std::string_view key, std::string_view bytes) {
  if (auto f = take(fault_point::put, key)) {
    if (f->after_effect) {
      if (auto s = inner_.put(key, bytes); !s) return s;
    }
    return make_error(*f, key);
  }
  return inner_.put(key, bytes);
}

base::result<std::optional<std::string>> faulty_store::put_if(std::string_view key, std::string_view bytes,
                                                              const std::optional<std::string>& expected) {
  if (auto f = take(fault_point::put_if, key)) {
    if (f->after_effect) {
      if (auto s = inner_.put_if(key, bytes, expected); !s) return std::move(s).err();
    }
    return make_error(*f, key);
  }
  return inner_.put_if(key, bytes, expected);
}

base::result<std::optional<stored_object>> faulty_store::read(std::string_view key) {
  if (auto f = take(fault_point::get, key)) return make_error(*f, key);
  return inner_.read(key);
}

base::result<std::optional<object_info>> faulty_store::head(std::string_view key) {
  if (auto f = take(fault_point::head, key)) return make_error(*f, key);
  return inner_.head(key);
}

base::result<std::vector<object_info>> faulty_store::list(std::string_view prefix) {
  if (auto f = take(fault_point::list, prefix)) return make_error(*f, prefix);
  return inner_.list(prefix);
}

base::status faulty_store::remove(std::string_view key) {
  if (auto f = take(fault_point::remove, key)) {
    if (f->after_effect) {
      if (auto s = inner_.remove(key); !s) return s;
    }
    return make_error(*f, key);
  }
  return inner_.remove(key);
}

base::status faulty_store::retire(std::string_view key, std::string_view empty) {
  if (auto f = take(fault_point::retire, key)) {
    if (f->after_effect) {
      if (auto s = inner_.retire(key, empty); !s) return s;
    }
    return make_error(*f, key);
  }
  return inner_.retire(key, empty);
}

}  // namespace clicktrail::store
