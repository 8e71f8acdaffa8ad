#include "event/snowplow_event.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "base/text.h"
#include "base/uuid.h"
#include "event/fields.h"
#include "event/json_text.h"
#include "event/read_event.h"

namespace clicktrail::event {
namespace tp2 {

problem invalid(const tp2_param& p, std::string_view what) {
  return {reason::invalid_field, fmt::format("parameter {} (\"{}\") {}", p.name, shown(p.value), what)};
}

void member(std::string& object, std::string_view name) {
  if (!object.empty()) object.push_back(',');
  write_string(object, name);
  object.push_back(':');
}

void assign_text(const field& f, std::string_view value, event& e) {
  if (value.size() > f.max_bytes) {
    value = cut_utf8(value, f.max_bytes);
    e.truncated = true;
  }
  (e.*std::get<opt_string event::*>(f.where)).emplace(value);
}

std::size_t depth_left(const limits& lim, std::size_t used) noexcept {
  return lim.max_props_depth > used ? lim.max_props_depth - used : 0;
}

problem too_deep(const limits& lim, std::string_view what) {
  return {
      reason::props_invalid,
      fmt::format("props nests deeper than {} levels of objects and arrays with {}; send fewer nested values",
                  lim.max_props_depth, what)};
}

}  // namespace tp2

namespace {

using tp2::assign_text;
using tp2::invalid;
using tp2::member;
using tp2_event = tp2::reading;

constexpr std::string_view kinds = "pv, pp, se, ue, tr or ti";

struct tp2_row;
using handler = std::optional<problem> (*)(tp2_event&, const tp2_param&, const tp2_row&);

struct tp2_row {
  handler read = nullptr;
  const field* column = nullptr;  // the schema-v1 column, for the text handlers
  std::uint8_t bit = 0;           // this row's bit in an event's set of parameters seen
  std::string member = {};        // `"name":`, written before a kept value
};

// Keeps the parameter in props.snowplow under its name, its value as sent. `row` (when the name
// has one) holds the name already written as a member.
std::optional<problem> keep(tp2_event& ev, const tp2_param& p, const tp2_row* row = nullptr) {
  if (row) {
    if (!ev.snowplow.empty()) ev.snowplow.push_back(',');
    ev.snowplow.append(row->member);
  } else {
    member(ev.snowplow, p.name);
    ev.kept_schema |= p.name == "schema";
    ev.kept_data |= p.name == "data";
    ev.kept_contexts |= p.name == "contexts";
  }
  write_string(ev.snowplow, p.value);
  return std::nullopt;
}

std::optional<problem> on_keep(tp2_event& ev, const tp2_param& p, const tp2_row& row) {
  return keep(ev, p, &row);
}

// A whole decimal number from `min` to `max`: digits only, as the trackers write them.
std::optional<std::int64_t> whole(std::string_view s, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  const char* end = s.data() + s.size();
  if (s.empty() || s[0] == '-' || s[0] == '+') return std::nullopt;
  const auto [at, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc{} || at != end || v < min || v > max) return std::nullopt;
  return v;
}

// "WxH", two whole numbers of CSS px.
std::optional<std::pair<std::int32_t, std::int32_t>> dimensions(std::string_view s) {
  const std::size_t x = s.find('x');
  if (x == std::string_view::npos) return std::nullopt;
  constexpr std::int64_t most = std::numeric_limits<std::int32_t>::max();
  const auto w = whole(s.substr(0, x), 0, most), h = whole(s.substr(x + 1), 0, most);
  if (!w || !h) return std::nullopt;
  return std::pair{static_cast<std::int32_t>(*w), static_cast<std::int32_t>(*h)};
}

// The path of a URL: from the first '/' after the authority to '?' or '#'; "/" when it has none.
std::optional<std::string_view> path_of(std::string_view url) {
  std::size_t begin = 0;
  if (const std::size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    begin = base::first_where(url, scheme + 3, [](char c) { return c == '/' || c == '?' || c == '#'; });
    if (begin == url.size() || url[begin] != '/') return "/";
  } else if (!url.starts_with('/')) {
    return std::nullopt;
  }
  const std::size_t end = base::first_where(url, begin, [](char c) { return c == '?' || c == '#'; });
  return url.substr(begin, end - begin);
}

std::optional<problem> read_ms(const tp2_param& p, opt_i64& out) {
  if (p.value.empty()) return std::nullopt;
  out = whole(p.value, 0, max_unix_ms);
  if (!out) {
    return invalid(p, fmt::format("is not whole milliseconds since 1970 from 0 to {} (the end of year 9999)",
                                  max_unix_ms));
  }
  return std::nullopt;
}

std::optional<problem> on_kind(tp2_event& ev, const tp2_param& p, const tp2_row&) {
  ev.kind = p.value;
  return std::nullopt;
}

std::optional<problem> on_eid(tp2_event& ev, const tp2_param& p, const tp2_row& row) {
  if (p.value.empty()) return std::nullopt;
  if (base::parse_uuid(p.value)) {
    ev.e.event_id.assign(p.value);
    base::lower_case_uuid_text(ev.e.event_id);
    return std::nullopt;
  }
  ev.hints.foreign_id.emplace(p.value);
  return keep(ev, p, &row);
}

std::optional<problem> on_aid(tp2_event& ev, const tp2_param& p, const tp2_row& row) {
  ev.hints.source_key.assign(p.value);
  return keep(ev, p, &row);
}

std::optional<problem> on_dtm(tp2_event& ev, const tp2_param& p, const tp2_row&) {
  return read_ms(p, ev.dtm);
}

std::optional<problem> on_ttm(tp2_event& ev, const tp2_param& p, const tp2_row& row) {
  if (auto why = read_ms(p, ev.ttm)) return why;
  return keep(ev, p, &row);
}

std::optional<problem> on_stm(tp2_event& ev, const tp2_param& p, const tp2_row&) {
  return read_ms(p, ev.e.sent_ts);
}

std::optional<problem> on_text(tp2_event& ev, const tp2_param& p, const tp2_row& row) {
  if (!p.value.empty()) assign_text(*row.column, p.value, ev.e);
  return std::nullopt;
}

std::optional<problem> on_url(tp2_event& ev, const tp2_param& p, const tp2_row& row) {
  if (p.value.empty()) return std::nullopt;
  assign_text(*row.column, p.value, ev.e);
  static const field& page_path = *find_field("page_path");
  if (const auto path = path_of(p.value)) assign_text(page_path, *path, ev.e);
  return std::nullopt;
}

std::optional<problem> on_res(tp2_event& ev, const tp2_param& p, const tp2_row&) {
  if (p.value.empty()) return std::nullopt;
  const auto wh = dimensions(p.value);
  if (!wh) return invalid(p, "is not WxH in whole CSS px");
  ev.e.screen_w = wh->first;
  ev.e.screen_h = wh->second;
  return std::nullopt;
}

std::optional<problem> on_vp(tp2_event& ev, const tp2_param& p, const tp2_row&) {
  if (p.value.empty()) return std::nullopt;
  const auto wh = dimensions(p.value);
  if (!wh) return invalid(p, "is not WxH in whole CSS px");
  ev.e.viewport_w = wh->first;
  ev.e.viewport_h = wh->second;
  ev.vp_h = wh->second;
  return std::nullopt;
}

// ds and pp_may have no column; they are kept, and read for the ping's scroll depth if they can be.
std::optional<problem> on_ds(tp2_event& ev, const tp2_param& p, const tp2_row& row) {
  if (const auto wh = dimensions(p.value)) ev.ds_h = wh->second;
  return keep(ev, p, &row);
}

std::optional<problem> on_pp_may(tp2_event& ev, const tp2_param& p, const tp2_row& row) {
  ev.pp_may = whole(p.value, 0, std::numeric_limits<std::int32_t>::max());
  return keep(ev, p, &row);
}

std::optional<problem> on_ua(tp2_event& ev, const tp2_param& p, const tp2_row&) {
  if (!p.value.empty()) ev.hints.user_agent.emplace(p.value);
  return std::nullopt;
}

std::optional<problem> on_ip(tp2_event& ev, const tp2_param& p, const tp2_row&) {
  if (!p.value.empty()) ev.hints.ip.emplace(p.value);
  return std::nullopt;
}

std::optional<problem> on_se(tp2_event& ev, const tp2_param& p, const tp2_row&) {
  static constexpr std::array<std::string_view, 5> names{"se_ca", "se_ac", "se_la", "se_pr", "se_va"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (p.name == names[i]) ev.se[i] = &p;
  }
  return std::nullopt;
}

std::optional<problem> on_ue(tp2_event& ev, const tp2_param& p, const tp2_row&) {
  if (ev.ue) return invalid(p, "comes with another self-describing event (ue_pr and ue_px); send one");
  ev.ue = &p;
  return std::nullopt;
}

std::optional<problem> on_co(tp2_event& ev, const tp2_param& p, const tp2_row&) {
  if (ev.co) return invalid(p, "comes with other contexts (co and cx); send one");
  ev.co = &p;
  return std::nullopt;
}

// The rows by name. Every name in the table is at most 7 bytes, so a name is a 64-bit word (its
// bytes and its length), and finding it is a multiply and a probe or two in an open-addressed
// array: the lookup runs for every parameter of every event.
class tp2_rows {
 public:
  void add(std::string_view name, tp2_row row) {
    const std::uint64_t key = word(name);
    assert(key != 0 && "a table name is 1 to 7 bytes");
    std::size_t slot = home(key);
    while (keys_[slot] != 0) slot = (slot + 1) % slots;
    row.bit = count_++;
    assert(count_ <= 64 && "an event's set of parameters seen is one 64-bit word");
    row.member.clear();
    member(row.member, name);
    keys_[slot] = key;
    rows_[slot] = std::move(row);
  }

  const tp2_row* find(std::string_view name) const noexcept {
    const std::uint64_t key = word(name);
    if (key == 0) return nullptr;
    for (std::size_t slot = home(key);; slot = (slot + 1) % slots) {
      if (keys_[slot] == key) return &rows_[slot];
      if (keys_[slot] == 0) return nullptr;
    }
  }

 private:
  static constexpr std::size_t slots = 128;  // a power of two, at least twice the rows

  // The name's bytes and, in the top byte, its length; 0 for a name that cannot be in the table.
  static std::uint64_t word(std::string_view name) noexcept {
    if (name.empty() || name.size() > 7) return 0;
    std::uint64_t w = std::uint64_t{name.size()} << 56;
    for (std::size_t i = 0; i < name.size(); ++i) {
      w |= std::uint64_t{static_cast<unsigned char>(name[i])} << (8 * i);
    }
    return w;
  }

  static std::size_t home(std::uint64_t key) noexcept {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> 57);  // Fibonacci hashing, 7 bits
  }

  std::array<std::uint64_t, slots> keys_{};
  std::array<tp2_row, slots> rows_{};
  std::uint8_t count_ = 0;
};

// The tp2 parameters with a meaning of their own (docs/compat-snowplow.md, "Fields"), and those
// every browser tracker sends that are kept as they are (so that one lookup also finds them given
// twice); any other is kept too.
const tp2_rows& tp2_table() {
  static const tp2_rows table = [] {
    const auto column = [](std::string_view name) { return find_field(name); };
    const std::pair<std::string_view, tp2_row> rows[] = {
        {"e", {on_kind}},
        {"eid", {on_eid}},
        {"aid", {on_aid}},
        {"dtm", {on_dtm}},
        {"ttm", {on_ttm}},
        {"stm", {on_stm}},
        {"duid", {on_text, column("anonymous_id")}},
        {"sid", {on_text, column("session_id")}},
        {"uid", {on_text, column("user_id")}},
        {"nuid", {on_text, column("network_id")}},
        {"url", {on_url, column("page_url")}},
        {"refr", {on_text, column("referrer")}},
        {"page", {on_text, column("page_title")}},
        {"lang", {on_text, column("locale")}},
        {"tz", {on_text, column("timezone")}},
        {"res", {on_res}},
        {"vp", {on_vp}},
        {"ds", {on_ds}},
        {"pp_may", {on_pp_may}},
        {"ua", {on_ua}},
        {"ip", {on_ip}},
        {"se_ca", {on_se}},
        {"se_ac", {on_se}},
        {"se_la", {on_se}},
        {"se_pr", {on_se}},
        {"se_va", {on_se}},
        {"ue_pr", {on_ue}},
        {"ue_px", {on_ue}},
        {"co", {on_co}},
        {"cx", {on_co}},
        {"tv", {on_keep}},
        {"tna", {on_keep}},
        {"p", {on_keep}},
        {"cookie", {on_keep}},
        {"cs", {on_keep}},
        {"cd", {on_keep}},
        {"vid", {on_keep}},
    };
    tp2_rows built;
    for (const auto& [name, row] : rows) built.add(name, row);
    return built;
  }();
  return table;
}

// se_*: props.category … props.value for a structured event; kept as sent on any other.
std::optional<problem> read_structured(tp2_event& ev) {
  static constexpr std::array<std::string_view, 5> props_names{"category", "action", "label", "property",
                                                               "value"};
  for (std::size_t i = 0; i < ev.se.size(); ++i) {
    const tp2_param* p = ev.se[i];
    if (!p) continue;
    if (ev.kind != "se") {
      keep(ev, *p);
      continue;
    }
    if (p->value.empty()) continue;
    member(ev.top, props_names[i]);
    if (i + 1 < ev.se.size()) {
      write_string(ev.top, p->value);
      continue;
    }
    double value = 0;
    const char* end = p->value.data() + p->value.size();
    const auto [at, ec] = std::from_chars(p->value.data(), end, value);
    if (ec != std::errc{} || at != end || !std::isfinite(value)) return invalid(*p, "is not a finite number");
    write_double(ev.top, value);
  }
  return std::nullopt;
}

std::optional<problem> read_type(tp2_event& ev) {
  if (ev.kind.empty()) {
    return problem{reason::missing_field,
                   fmt::format("parameter e (the event kind) is required; send {}", kinds)};
  }
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> types{{
      {"pv", "page_view"},
      {"pp", "page_ping"},
      {"se", "struct"},
      {"tr", "transaction"},
      {"ti", "transaction_item"},
  }};
  for (const auto& [kind, type] : types) {
    if (ev.kind == kind) {
      ev.e.type.assign(type);
      return std::nullopt;
    }
  }
  if (ev.kind == "ue") {
    if (!ev.ue) {
      return problem{
          reason::missing_field,
          "a self-describing event (e=ue) needs ue_pr or ue_px; send the tracker's output unchanged"};
    }
    return std::nullopt;  // read_self_describing names it
  }
  return problem{
      reason::invalid_type,
      fmt::format("parameter e is \"{}\", not an event kind clicktrail reads ({})", shown(ev.kind), kinds)};
}

// min(100, round(100 × (pp_may + viewport height) / document height)).
void derive_scroll_depth(tp2_event& ev) {
  if (ev.kind != "pp" || !ev.pp_may || !ev.vp_h || !ev.ds_h || *ev.ds_h <= 0) return;
  const double percent = 100.0 * static_cast<double>(*ev.pp_may + *ev.vp_h) / static_cast<double>(*ev.ds_h);
  ev.e.scroll_depth = static_cast<std::int32_t>(std::min(100.0, std::round(percent)));
}

std::optional<problem> assemble_props(tp2_event& ev, const limits& lim) {
  if (ev.top.empty() && ev.snowplow.empty()) return std::nullopt;
  std::string& props = ev.e.props.emplace();
  props.reserve(ev.top.size() + ev.snowplow.size() + 16);
  props.push_back('{');
  props.append(ev.top);
  if (!ev.snowplow.empty()) {
    if (lim.max_props_depth < 2) return tp2::too_deep(lim, "props.snowplow");
    if (!ev.top.empty()) props.push_back(',');
    props.append("\"snowplow\":");
    props.push_back('{');
    props.append(ev.snowplow);
    props.push_back('}');
  }
  props.push_back('}');
  if (props.size() > lim.max_props_bytes) {
    return problem{
        reason::props_invalid,
        fmt::format("props is {} bytes as compact JSON with the parameters kept in props.snowplow, over "
                    "the limit of {}; send fewer or smaller contexts",
                    props.size(), lim.max_props_bytes)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<problem> read_tp2_event(std::span<const tp2_param> params, const limits& lim, event& out,
                                      foreign_hints& hints) {
  // A parameter twice is ambiguous (which one counts?), as a key twice is in our own events:
  // the table's rows are told apart by a bit each, the rare others by their names.
  const auto twice = [](std::string_view name) {
    return problem{reason::invalid_field,
                   fmt::format("parameter {} appears twice; send each once", shown(name))};
  };
  thread_local std::vector<std::string_view> others;
  others.clear();
  std::uint64_t seen = 0;
  // props is written in two parts, on buffers that stay with the thread: no allocation for them.
  thread_local std::string snowplow, top;
  snowplow.clear();
  top.clear();
  tp2_event ev{out, hints, snowplow, top};
  const auto& table = tp2_table();
  for (const tp2_param& p : params) {
    const tp2_row* row = table.find(p.name);
    if (!row) {
      if (std::find(others.begin(), others.end(), p.name) != others.end()) return twice(p.name);
      others.push_back(p.name);
      if (auto why = keep(ev, p)) return why;
      continue;
    }
    const std::uint64_t bit = std::uint64_t{1} << row->bit;
    if (seen & bit) return twice(p.name);
    seen |= bit;
    if (auto why = row->read(ev, p, *row)) return why;
  }
  if (auto why = read_type(ev)) return why;
  if (ev.ue) {
    auto why = ev.kind == "ue" ? tp2::read_self_describing(ev, lim) : keep(ev, *ev.ue);
    if (why) return why;
  }
  if (auto why = read_structured(ev)) return why;
  if (ev.co) {
    if (auto why = tp2::read_contexts(ev, lim)) return why;
  }
  out.client_ts = ev.ttm ? ev.ttm : ev.dtm;
  derive_scroll_depth(ev);
  return assemble_props(ev, lim);
}

}  // namespace clicktrail::event
