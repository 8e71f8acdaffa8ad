#include "table/glue_catalog.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <chrono>
#include <thread>

#include "event/fields.h"
#include "event/json_text.h"
#include "store/credential_sources.h"
#include "store/crypto.h"
#include "store/environment.h"
#include "store/sigv4.h"
#include "table/table_metadata.h"

namespace clicktrail::table {
namespace {

constexpr int max_attempts = 5;

// Glue's (Hive's) type of each kind of value, as Athena lists the columns.
std::string_view hive_type(event::value_kind k) {
  switch (k) {
    case event::value_kind::timestamp:
      return "timestamp";
    case event::value_kind::int64:
      return "bigint";
    case event::value_kind::int32:
      return "int";
    case event::value_kind::boolean:
      return "boolean";
    case event::value_kind::text:
    case event::value_kind::json:
      return "string";
  }
  return "string";
}

}  // namespace

std::unique_ptr<glue_catalog> glue_catalog::open(glue_options options) {
  const store::environment env = store::environment::from_process();
  store::http_client_options http_options;
  http_options.ca_bundle = env.get("AWS_CA_BUNDLE").value_or("");
  auto http = std::make_shared<store::http_client>(std::move(http_options));
  auto credentials = store::default_credential_chain(env, http);
  return std::make_unique<glue_catalog>(std::move(options), std::move(credentials), std::move(http));
}

glue_catalog::glue_catalog(glue_options options, std::unique_ptr<store::credential_chain> credentials,
                           std::shared_ptr<store::http_client> http)
    : options_(std::move(options)), credentials_(std::move(credentials)), http_(std::move(http)) {
  if (options_.endpoint.empty())
    options_.endpoint = fmt::format("https://glue.{}.amazonaws.com", options_.region);
  while (options_.endpoint.ends_with('/')) options_.endpoint.pop_back();
}

base::result<glue_catalog::answer> glue_catalog::call(std::string_view action, const std::string& body) {
  auto c = credentials_->get();
  if (!c) return std::move(c).err();
  const std::string_view host = std::string_view(options_.endpoint).substr(options_.endpoint.find("://") + 3);
  const auto now = std::chrono::system_clock::now();
  const std::string payload_hash = store::sha256_hex(body);
  std::vector<store::sigv4::name_value> headers = {{"Host", std::string(host)},
                                                   {"x-amz-date", store::sigv4::amz_date(now)},
                                                   {"x-amz-target", fmt::format("AWSGlue.{}", action)},
                                                   {"Content-Type", "application/x-amz-json-1.1"}};
  if (!c->session_token.empty()) headers.emplace_back("x-amz-security-token", c->session_token);
  const auto s =
      store::sigv4::sign({"POST", "/", {}, headers, payload_hash}, *c, options_.region, "glue", now);
  headers.emplace_back("Authorization", s.authorization);
  store::http_request request("POST", options_.endpoint + "/");
  request.headers = std::move(headers);
  request.body = body;
  // The sink calls this between its commits, on its own thread: a Glue that does not answer must
  // not hold it for long (the pointer catches up at a later commit).
  request.timeout = std::chrono::seconds(10);
  auto response = http_->send(request);
  if (!response) return std::move(response).err();
  answer a{.status = response->status, .type = "", .body = std::move(response->body)};
  if (a.status >= 300) {
    simdjson::dom::parser parser;
    std::string_view type;
    simdjson::dom::element doc;
    if (!parser.parse(a.body).get(doc) && !doc["__type"].get_string().get(type)) {
      a.type = std::string(type.substr(type.rfind('#') + 1));
    }
  }
  return a;
}

base::status glue_catalog::publish(std::string_view location, std::int64_t version,
                                   std::string_view metadata_uri) {
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    auto done = try_publish(location, version, metadata_uri);
    if (!done) return std::move(done).err();
    if (*done) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
  }
  return base::error::retry(
      fmt::format("Glue table {}: {} updates in a row met another writer's; the next "
                  "commit will try again",
                  name(), max_attempts));
}

namespace {

// The JSON of a Glue request about the table: {"DatabaseName":…,"TableInput":…}, and for an
// update ,"SkipArchive":true[,"VersionId":…].
enum class request_kind { create, update };
std::string table_request(std::string_view database, std::string_view table_input, request_kind kind,
                          std::string_view version_id = {}) {
  std::string body = "{";
  event::write_member(body, "DatabaseName", database);
  body += ",\"TableInput\":";
  body += table_input;
  if (kind == request_kind::update) {
    // Without SkipArchive, Glue keeps every earlier definition as a table version, and a pointer
    // moved every minute reaches Glue's quota of versions a table (100,000) within months.
    // Iceberg's own Glue catalog skips archiving too (glue.skip-archive).
    body += ",\"SkipArchive\":true";
  }
  if (!version_id.empty()) {
    body += ",";
    event::write_member(body, "VersionId", version_id);
  }
  body += "}";
  return body;
}

// A new Glue table for the Iceberg table at `location`: its pointer, its location and the events'
// columns (which Athena lists; it reads the schema from the metadata file).
std::string new_table_input(std::string_view name, std::string_view location, std::string_view metadata_uri) {
  std::string input = "{";
  event::write_member(input, "Name", name);
  input += ",";
  event::write_member(input, "TableType", "EXTERNAL_TABLE");
  input += ",\"Parameters\":{";
  event::write_member(input, "table_type", "ICEBERG");
  input += ",";
  event::write_member(input, "metadata_location", metadata_uri);
  input += "},\"StorageDescriptor\":{";
  event::write_member(input, "Location", location);
  input += ",\"Columns\":[";
  for (const event::field& f : event::all_fields()) {
    input += event::field_index(f) == 0 ? "{" : ",{";
    event::write_member(input, "Name", f.name);
    input += ",";
    event::write_member(input, "Type", hive_type(event::kind_of(f)));
    input += "}";
  }
  input += "]}}";
  return input;
}

// The Glue table `table` (GetTable's) as it is, with its pointer moved from `theirs` to
// `metadata_uri`: UpdateTable replaces the whole definition, so everything else is carried over.
std::string moved_table_input(std::string_view name, simdjson::dom::element table,
                              simdjson::dom::object parameters, std::string_view theirs,
                              std::string_view metadata_uri) {
  std::string input = "{";
  event::write_member(input, "Name", name);
  input += ",";
  event::write_member(input, "TableType", "EXTERNAL_TABLE");
  input += ",\"Parameters\":{";
  event::write_member(input, "metadata_location", metadata_uri);
  if (!theirs.empty()) {
    input += ",";
    event::write_member(input, "previous_metadata_location", theirs);
  }
  bool typed = false;
  for (const auto p : parameters) {
    if (p.key == "metadata_location" || p.key == "previous_metadata_location") continue;
    std::string_view v;
    if (p.value.get_string().get(v)) continue;
    typed = typed || p.key == "table_type";
    input += ",";
    event::write_member(input, p.key, v);
  }
  if (!typed) {
    input += ",";
    event::write_member(input, "table_type", "ICEBERG");
  }
  input += "}";
  for (const char* kept : {"Description", "Owner", "Retention", "StorageDescriptor", "PartitionKeys"}) {
    simdjson::dom::element e;
    if (table[kept].get(e)) continue;
    input += fmt::format(",\"{}\":{}", kept, simdjson::minify(e));
  }
  input += "}";
  return input;
}

}  // namespace

base::result<bool> glue_catalog::try_publish(std::string_view location, std::int64_t version,
                                             std::string_view metadata_uri) {
  const auto refused = [&](const answer& a, std::string_view what) {
    const std::string hint =
        a.type == "AccessDeniedException"
            ? fmt::format(
                  "; the sink's role needs glue:GetTable and glue:UpdateTable (and glue:CreateTable while "
                  "the table does not exist) on the catalog, database {} and table {} "
                  "(deploy/terraform/modules/iam)",
                  options_.database, options_.table)
            : "";
    return base::error::fail(fmt::format("Glue table {}: {} answered {} {}{}: {}", name(), what, a.status,
                                         a.type, hint, a.body.substr(0, 300)));
  };
  std::string key = "{";
  event::write_member(key, "DatabaseName", options_.database);
  key += ",";
  event::write_member(key, "Name", options_.table);
  key += "}";
  auto got = call("GetTable", key);
  if (!got) return std::move(got).err();
  if (got->status == 400 && got->type == "EntityNotFoundException") {
    auto made = call("CreateTable",
                     table_request(options_.database, new_table_input(options_.table, location, metadata_uri),
                                   request_kind::create));
    if (!made) return std::move(made).err();
    if (made->status == 400 && made->type == "AlreadyExistsException")
      return false;  // another writer's: again
    if (made->status != 200) return refused(*made, "CreateTable");
    return true;
  }
  if (got->status != 200) return refused(*got, "GetTable");

  simdjson::dom::parser parser;
  simdjson::dom::element table;
  if (parser.parse(got->body).get(table) || table["Table"].get(table)) {
    return base::error::fail(fmt::format("Glue table {}: GetTable answered what is not a table: {}", name(),
                                         got->body.substr(0, 300)));
  }
  std::string_view theirs, version_id, table_type;
  simdjson::dom::object parameters;
  if (table["Parameters"].get(parameters)) parameters = {};
  // Absent values stay empty: a table without them (one made by hand) is still ours to point.
  if (table["VersionId"].get_string().get(version_id)) version_id = {};
  for (const auto p : parameters) {
    if (p.key == "metadata_location" && p.value.get_string().get(theirs)) theirs = {};
    if (p.key == "table_type" && p.value.get_string().get(table_type)) table_type = {};
  }
  if (!table_type.empty() && table_type != "ICEBERG" && table_type != "iceberg") {
    return base::error::fail(
        fmt::format("Glue table {} is a {} table, not an Iceberg one: it is not clicktrail's to point; give "
                    "sink.glue_table "
                    "another name, or drop that table",
                    name(), table_type));
  }
  if (!theirs.empty()) {
    if (!theirs.starts_with(std::string(location) + "/")) {
      return base::error::fail(
          fmt::format("Glue table {} points at {}, which is not under this table's location {}: it is "
                      "another table's; give "
                      "sink.glue_table another name",
                      name(), theirs, location));
    }
    if (const auto v = metadata_version_of(theirs); v && *v >= version) return true;  // as new already
  }
  auto updated = call(
      "UpdateTable", table_request(options_.database,
                                   moved_table_input(options_.table, table, parameters, theirs, metadata_uri),
                                   request_kind::update, version_id));
  if (!updated) return std::move(updated).err();
  if (updated->status == 400 && updated->type == "ConcurrentModificationException") return false;
  if (updated->status != 200) return refused(*updated, "UpdateTable");
  return true;
}

}  // namespace clicktrail::table
