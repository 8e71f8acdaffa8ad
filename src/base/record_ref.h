#pragma once
// A record to write to a log, as views of its key and value: what ingest hands its event log and
// the Kafka producer takes, one type so that a request's records pass from one to the other as
// they are.

#include <string_view>

namespace clicktrail::base {

struct record_ref {
  std::string_view key;  // empty: none (Kafka's partitioner then spreads such records)
  std::string_view value;
};

}  // namespace clicktrail::base
