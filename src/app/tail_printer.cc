#include "app/tail_printer.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "event/binary_record.h"
#include "event/encode.h"

namespace clicktrail::app {
namespace {

// A note quotes at most this much of why a record could not be read.
constexpr std::size_t max_reason_bytes = 200;

// `value` with every control character as '?', cut to `max` bytes: one line, inert in a terminal.
void append_printable(std::string& out, std::string_view value, std::size_t max = std::string_view::npos) {
  if (value.empty()) {
    out += '-';
    return;
  }
  for (const char c : value.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
}

// HH:MM:SS.mmm in UTC.
void append_time(std::string& out, std::int64_t unix_ms) {
  const std::int64_t seconds = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  const auto ms = static_cast<int>(unix_ms - seconds * 1000);
  const auto t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  fmt::format_to(std::back_inserter(out), "{:02}:{:02}:{:02}.{:03}", utc.tm_hour, utc.tm_min, utc.tm_sec, ms);
}

bool listed(const std::vector<std::string>& wanted, std::string_view value) {
  return wanted.empty() || std::find(wanted.begin(), wanted.end(), value) != wanted.end();
}

}  // namespace

bool tail_printer::wanted_site(std::string_view site) const {
  return listed(options_.sites, site);
}

bool tail_printer::wanted_type(std::string_view type) const {
  return listed(options_.types, type);
}

void tail_printer::add(const tail_record& r, std::string& out, std::string& notes) {
  if (!r.value) {
    add_note(r, options_.bad ? "not a row of rejected input" : "not a stored event", "a null value", out,
             notes);
    return;
  }
  if (options_.bad) {
    add_rejected(r, *r.value, out, notes);
  } else {
    add_event(r, *r.value, out, notes);
  }
}

void tail_printer::add_event(const tail_record& r, std::string_view value, std::string& out,
                             std::string& notes) const {
  const auto e = event::decode_stored(value);
  if (!e) {
    add_note(r, "not a stored event", e.err().message, out, notes);
    return;
  }
  if (!wanted_site(e->site) || !wanted_type(e->type)) return;
  if (options_.json) {
    // The canonical form has no line break; a record written some other way (a binary one, or
    // JSON with line breaks) is written as JSON.
    if (!event::is_binary_record(value) && value.find_first_of("\r\n") == std::string_view::npos) {
      out.append(value);
    } else {
      event::encode(*e, out);
    }
    out += '\n';
    return;
  }
  const std::string_view url = e->page_url ? std::string_view(*e->page_url) : std::string_view();
  append_time(out, e->collector_ts);
  for (const std::string_view part :
       {std::string_view(e->site), std::string_view(e->type), std::string_view(e->event_id), url}) {
    out += ' ';
    append_printable(out, part);
  }
  out += '\n';
}

// A row of rejected input (ingest/bad_record.h): {"reason","detail","site","collector_ts",…}.
void tail_printer::add_rejected(const tail_record& r, std::string_view value, std::string& out,
                                std::string& notes) {
  simdjson::dom::object row;
  std::string_view reason, detail, site;
  std::int64_t collector_ts = 0;
  if (parser_.parse(value.data(), value.size()).get(row) || row["reason"].get(reason) ||
      row["collector_ts"].get(collector_ts)) {
    add_note(r, "not a row of rejected input", "expected a JSON object with reason and collector_ts", out,
             notes);
    return;
  }
  // Both may be absent: a body refused whole names no site, and the detail is optional text.
  if (row["site"].get(site) != simdjson::SUCCESS) site = {};
  if (row["detail"].get(detail) != simdjson::SUCCESS) detail = {};
  if (!wanted_site(site)) return;
  if (options_.json) {
    if (value.find_first_of("\r\n") == std::string_view::npos) {
      out.append(value);
    } else {
      out += simdjson::minify(row);
    }
    out += '\n';
    return;
  }
  append_time(out, collector_ts);
  for (const std::string_view part : {site, reason, detail}) {
    out += ' ';
    append_printable(out, part);
  }
  out += '\n';
}

void tail_printer::add_note(const tail_record& r, std::string_view what, std::string_view why,
                            std::string& out, std::string& notes) const {
  std::string& to = options_.json ? notes : out;
  fmt::format_to(std::back_inserter(to), "partition {} offset {}: {} (", r.partition, r.offset, what);
  append_printable(to, why, max_reason_bytes);
  to += ")\n";
}

}  // namespace clicktrail::app
