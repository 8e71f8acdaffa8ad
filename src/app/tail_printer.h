#pragma once
// What `clicktrail tail` prints for each record it reads:
//
//   events     HH:MM:SS.mmm site type event_id page_url     (UTC time of collector_ts)
//   --bad      HH:MM:SS.mmm site reason detail              (the rejected input's row)
//   --json     the record's JSON as stored, one line
//
// filtered by --site and --type. A record that is not what the stream holds (not a stored
// event, not a row of rejected input) is a note, never an error:
//
//   partition 0 offset 41: not a stored event (<why>)
//
// on stdout with the lines, or on stderr with --json, so that stdout stays JSON Lines. Control
// characters in printed values become '?', so that a value can neither break a line nor drive
// the terminal.
//
// Thread: tail's one thread (it keeps a JSON parser for the rejected-input rows).

#include <simdjson.h>

#include <string>

#include "app/commands.h"
#include "app/tail_source.h"

namespace clicktrail::app {

class tail_printer {
 public:
  explicit tail_printer(tail_options options) : options_(std::move(options)) {}

  // Appends what `r` prints: its line to `out` when it passes the filters, or a note to `out` or
  // `notes` (--json) when it cannot be read.
  void add(const tail_record& r, std::string& out, std::string& notes);

 private:
  void add_event(const tail_record& r, std::string_view value, std::string& out, std::string& notes) const;
  void add_rejected(const tail_record& r, std::string_view value, std::string& out, std::string& notes);
  void add_note(const tail_record& r, std::string_view what, std::string_view why, std::string& out,
                std::string& notes) const;
  bool wanted_site(std::string_view site) const;
  bool wanted_type(std::string_view type) const;

  const tail_options options_;
  simdjson::dom::parser parser_;
};

}  // namespace clicktrail::app
