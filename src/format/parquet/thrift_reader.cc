#include "format/parquet/thrift_reader.h"

#include <fmt/format.h>

#include "format/parquet/varint.h"

namespace clicktrail::format::parquet {
namespace {

constexpr int max_depth = 64;

class reader {
 public:
  explicit reader(std::string_view b) : bytes_(b) {}
  std::size_t position() const { return at_; }

  base::result<thrift_value> read_struct(int depth) {
    if (depth > max_depth) return bad("nested too deep");
    thrift_struct out;
    std::int16_t last = 0;
    for (;;) {
      auto header = byte();
      if (!header) return std::move(header).err();
      if (*header == 0) return thrift_value{std::move(out)};
      const int type = *header & 0x0f;
      const int delta = *header >> 4;
      std::int16_t id = 0;
      if (delta != 0) {
        id = static_cast<std::int16_t>(last + delta);
      } else {
        auto raw = varint();
        if (!raw) return std::move(raw).err();
        id = static_cast<std::int16_t>(unzigzag(*raw));
      }
      last = id;
      auto value = read_value(type, depth);
      if (!value) return std::move(value).err();
      out[id] = std::move(value).value();
    }
  }

 private:
  base::result<thrift_value> read_value(int type, int depth) {
    switch (type) {
      case 1:
        return thrift_value{true};
      case 2:
        return thrift_value{false};
      case 3: {
        auto b = byte();
        if (!b) return std::move(b).err();
        return thrift_value{static_cast<std::int64_t>(static_cast<std::int8_t>(*b))};
      }
      case 4:
      case 5:
      case 6: {
        auto raw = varint();
        if (!raw) return std::move(raw).err();
        return thrift_value{unzigzag(*raw)};
      }
      case 7: {  // double: kept as its bits
        if (bytes_.size() - at_ < 8) return bad("a double past the end");
        at_ += 8;
        return thrift_value{std::int64_t{0}};
      }
      case 8: {
        auto n = varint();
        if (!n) return std::move(n).err();
        if (*n > bytes_.size() - at_) return bad("a string longer than the message");
        std::string s(bytes_.substr(at_, *n));
        at_ += *n;
        return thrift_value{std::move(s)};
      }
      case 9:
      case 10:
        return read_list(depth);
      case 12:
        return read_struct(depth + 1);
      default:
        return bad(fmt::format("field type {} is not one Parquet uses", type));
    }
  }

  base::result<thrift_value> read_list(int depth) {
    auto header = byte();
    if (!header) return std::move(header).err();
    std::uint64_t size = *header >> 4;
    const int type = *header & 0x0f;
    if (size == 15) {
      auto n = varint();
      if (!n) return std::move(n).err();
      size = *n;
    }
    if (size > bytes_.size() - at_)
      return bad("a list longer than the message");  // each element takes a byte
    thrift_list out;
    out.reserve(size);
    for (std::uint64_t i = 0; i < size; ++i) {
      // Booleans in lists take a byte each (1 true, else false).
      if (type == 1 || type == 2) {
        auto b = byte();
        if (!b) return std::move(b).err();
        out.emplace_back().v = *b == 1;
        continue;
      }
      auto v = read_value(type, depth + 1);
      if (!v) return std::move(v).err();
      out.emplace_back().v = std::move(v->v);
    }
    return thrift_value{std::move(out)};
  }

  base::result<std::uint8_t> byte() {
    if (at_ >= bytes_.size()) return bad("the message ends early");
    return static_cast<std::uint8_t>(bytes_[at_++]);
  }
  base::result<std::uint64_t> varint() {
    std::uint64_t v = 0;
    if (!read_varint(bytes_, at_, v)) return bad("a varint that ends early or is longer than 10 bytes");
    return v;
  }
  static std::int64_t unzigzag(std::uint64_t v) {
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
  }
  base::error bad(std::string what) const {
    return base::error::reject(fmt::format("malformed Thrift metadata at byte {}: {}", at_, what));
  }

  std::string_view bytes_;
  std::size_t at_ = 0;
};

}  // namespace

const thrift_value* thrift_value::field(std::int16_t id) const {
  const auto* s = std::get_if<thrift_struct>(&v);
  if (s == nullptr) return nullptr;
  const auto it = s->find(id);
  return it == s->end() ? nullptr : &it->second;
}

std::optional<std::int64_t> thrift_value::integer() const {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  return std::nullopt;
}

const std::string* thrift_value::binary() const {
  return std::get_if<std::string>(&v);
}
const thrift_list* thrift_value::list() const {
  return std::get_if<thrift_list>(&v);
}

base::result<thrift_value> read_thrift_struct(std::string_view bytes, std::size_t& used) {
  reader r(bytes);
  auto v = r.read_struct(0);
  used = r.position();
  return v;
}

}  // namespace clicktrail::format::parquet
