#include "table/rest_catalog.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <set>

#include "event/json_text.h"

namespace clicktrail::table {
namespace {

namespace dom = simdjson::dom;

// A commit may wait on the catalog's own store; a catalog that does not answer in this long is
// treated as down (the sink retries the commit later).
constexpr std::chrono::seconds request_timeout{30};

}  // namespace

std::unique_ptr<rest_catalog> rest_catalog::open(rest_options options) {
  return std::make_unique<rest_catalog>(std::move(options), std::make_shared<store::http_client>());
}

std::string commit_request(const table_metadata& was, const table_metadata& next) {
  // Requirements: still the table read, its main branch where it was, and (when this commit
  // adds a schema) its schema too.
  std::string body = "{\"requirements\":[{\"type\":\"assert-table-uuid\",";
  event::write_member(body, "uuid", was.table_uuid);
  body += "},{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":";
  body += was.current() ? std::to_string(was.current()->id) : "null";
  body += "}";
  const bool new_schema = next.schemas.size() > was.schemas.size();
  if (new_schema)
    body += fmt::format(R"(,{{"type":"assert-current-schema-id","current-schema-id":{}}})",
                        was.current_schema_id);

  // Updates: what `next` has that `was` had not, and the snapshots it dropped (expiry).
  body += "],\"updates\":[";
  bool first = true;
  const auto update = [&](const std::string& u) {
    body += first ? "" : ",";
    body += u;
    first = false;
  };
  for (std::size_t i = was.schemas.size(); i < next.schemas.size(); ++i) {
    update(fmt::format(R"({{"action":"add-schema","schema":{},"last-column-id":{}}})", next.schemas[i],
                       next.last_column_id));
  }
  // -1: the schema this request added. The catalog assigns an added schema's id (reusing an equal
  // schema's, or the highest + 1), so this writer's id for it may not be the catalog's.
  if (next.current_schema_id != was.current_schema_id)
    update(R"({"action":"set-current-schema","schema-id":-1})");
  std::map<std::string, std::string> changed;
  for (const auto& [k, v] : next.properties) {
    if (const auto it = was.properties.find(k); it == was.properties.end() || it->second != v) changed[k] = v;
  }
  if (!changed.empty()) {
    std::string u = R"({"action":"set-properties","updates":)";
    write_string_map(u, changed);
    update(u + "}");
  }
  std::set<std::int64_t> before, after;
  for (const snapshot& s : was.snapshots) before.insert(s.id);
  for (const snapshot& s : next.snapshots) {
    after.insert(s.id);
    if (!before.contains(s.id)) update(R"({"action":"add-snapshot","snapshot":)" + snapshot_json(s) + "}");
  }
  if (const snapshot* head = next.current(); head && (!was.current() || head->id != was.current()->id)) {
    update(fmt::format(
        R"({{"action":"set-snapshot-ref","ref-name":"main","type":"branch","snapshot-id":{}}})", head->id));
  }
  std::string expired;
  for (const std::int64_t id : before) {
    if (!after.contains(id)) expired += (expired.empty() ? "" : ",") + std::to_string(id);
  }
  if (!expired.empty())
    update(fmt::format(R"({{"action":"remove-snapshots","snapshot-ids":[{}]}})", expired));
  body += "]}";
  return body;
}

rest_catalog::rest_catalog(rest_options options, std::shared_ptr<store::http_client> http)
    : options_(std::move(options)), http_(std::move(http)) {
  while (options_.uri.ends_with('/')) options_.uri.pop_back();
  while (options_.location.ends_with('/')) options_.location.pop_back();
}

std::string rest_catalog::describe() const {
  return fmt::format("{}.{} (REST catalog {})", options_.ns, options_.table, options_.uri);
}

base::error rest_catalog::refused(const answer& a, std::string_view what) const {
  const std::string why = a.message.empty() ? a.body.substr(0, 300) : a.message;
  std::string hint;
  if (a.status == 401 || a.status == 403)
    hint = "; give sink.catalog_token a token the catalog accepts for this table";
  // 5xx: the catalog or its store is failing; the same call may pass later.
  if (a.status >= 500) {
    return base::error::retry(
        fmt::format("{}: {} answered {} {}: {}", describe(), what, a.status, a.type, why));
  }
  return base::error::fail(
      fmt::format("{}: {} answered {} {}{}: {}", describe(), what, a.status, a.type, hint, why));
}

base::result<rest_catalog::answer> rest_catalog::call(const char* method, const std::string& path,
                                                      const std::string& body) {
  store::http_request request(method, options_.uri + path);
  request.headers.emplace_back("Accept", "application/json");
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  if (!options_.token.empty()) request.headers.emplace_back("Authorization", "Bearer " + options_.token);
  request.body = body;
  request.timeout = request_timeout;
  auto response = http_->send(request);
  if (!response) {
    return base::error::retry(
        fmt::format("{}: {} {} got no answer: {}", describe(), method, path, response.err().message));
  }
  answer a{.status = response->status, .type = "", .message = "", .body = std::move(response->body)};
  if (a.status >= 300) {
    // The specification's error model: {"error": {"message", "type", "code"}}.
    dom::parser parser;
    dom::element error;
    std::string_view text;
    if (!parser.parse(a.body).get(error) && !error["error"].get(error)) {
      if (!error["type"].get_string().get(text)) a.type = std::string(text);
      if (!error["message"].get_string().get(text)) a.message = std::string(text);
    }
  }
  return a;
}

base::status rest_catalog::configure() {
  if (configured_) return {};
  std::string path = "/v1/config";
  if (!options_.warehouse.empty()) {
    std::string encoded;
    for (const char c : options_.warehouse) {
      const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         c == '-' || c == '_' || c == '.' || c == '~';
      encoded += plain ? std::string(1, c) : fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
    path += "?warehouse=" + encoded;
  }
  auto got = call("GET", path);
  if (!got) return std::move(got).err();
  if (got->status != 200) return refused(*got, "GET /v1/config");
  // overrides.prefix, when the catalog has one, goes between /v1 and /namespaces.
  dom::parser parser;
  dom::element root;
  std::string_view prefix;
  if (parser.parse(got->body).get(root)) {
    return base::error::fail(
        fmt::format("{}: /v1/config answered what is not JSON: {}; is sink.catalog_uri an Iceberg REST "
                    "catalog?",
                    describe(), got->body.substr(0, 200)));
  }
  if (!root["overrides"]["prefix"].get_string().get(prefix)) prefix_ = std::string(prefix);
  configured_ = true;
  return {};
}

std::string rest_catalog::namespace_path() const {
  return prefix_.empty() ? "/v1/namespaces" : fmt::format("/v1/{}/namespaces", prefix_);
}

std::string rest_catalog::table_path() const {
  return fmt::format("{}/{}/tables/{}", namespace_path(), options_.ns, options_.table);
}

base::result<table_version> rest_catalog::version_of(const answer& a) const {
  dom::parser parser;
  dom::element root, metadata;
  std::string_view uri;
  if (parser.parse(a.body).get(root) || root["metadata-location"].get_string().get(uri) ||
      root["metadata"].get(metadata)) {
    return base::error::fail(
        fmt::format("{}: the catalog answered without metadata-location and metadata: {}", describe(),
                    a.body.substr(0, 300)));
  }
  // Where the table is, before whether this version can commit to it: a table elsewhere is the
  // wrong table, whatever its metadata.
  std::string_view at;
  if (!metadata["location"].get_string().get(at)) {
    while (at.ends_with('/')) at.remove_suffix(1);
    if (at != options_.location) {
      return base::error::fail(fmt::format(
          "{} is at {}, not at sink.output {}: the sink writes its files where it keeps its table; set "
          "sink.output to the table's location, or name another table in sink.catalog_table",
          describe(), at, options_.location));
    }
  }
  auto parsed = parse_table_metadata(simdjson::minify(metadata));
  if (!parsed) return base::error::reject(fmt::format("{}: {}", uri, parsed.err().message));
  return table_version{.metadata = std::move(parsed).value(),
                       .uri = std::string(uri),
                       .number = metadata_version_of(uri).value_or(0)};
}

base::result<std::optional<table_version>> rest_catalog::load() {
  if (auto s = configure(); !s) return std::move(s).err();
  auto got = call("GET", table_path());
  if (!got) return std::move(got).err();
  if (got->status == 404) return std::optional<table_version>();  // no table, or no namespace yet
  if (got->status != 200) return refused(*got, "loading the table");
  auto v = version_of(*got);
  if (!v) return std::move(v).err();
  return std::optional(std::move(v).value());
}

base::result<std::optional<table_version>> rest_catalog::create(const table_metadata& next) {
  std::string body = "{";
  event::write_member(body, "name", options_.table);
  body += ",";
  event::write_member(body, "location", options_.location);
  body += ",\"schema\":" + next.schemas.back();
  body += fmt::format(R"(,"partition-spec":{{"spec-id":{},"fields":{}}})", spec_id,
                      partition_fields_json(next.partition));
  body += R"(,"write-order":{"order-id":0,"fields":[]},"stage-create":false,"properties":)";
  auto properties = next.properties;
  properties["format-version"] = "2";
  write_string_map(body, properties);
  body += "}";
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto made = call("POST", namespace_path() + "/" + options_.ns + "/tables", body);
    if (!made) return std::move(made).err();
    // Made, or another writer made it first: either way the caller loads it and builds on it.
    if (made->status == 200 || made->status == 409) return std::optional<table_version>();
    if (made->status != 404 || made->type != "NoSuchNamespaceException")
      return refused(*made, "creating the table");
    std::string ns = "{\"namespace\":[";
    event::write_string(ns, options_.ns);
    ns += "],\"properties\":{}}";
    auto created = call("POST", namespace_path(), ns);
    if (!created) return std::move(created).err();
    if (created->status != 200 && created->status != 409) return refused(*created, "creating the namespace");
  }
  return base::error::fail(
      fmt::format("{}: the catalog keeps saying the namespace {} does not exist after "
                  "creating it",
                  describe(), options_.ns));
}

base::result<std::optional<table_version>> rest_catalog::commit(const table_version* current,
                                                                const table_metadata& next) {
  if (auto s = configure(); !s) return std::move(s).err();
  if (current == nullptr) return create(next);

  const std::string body = commit_request(current->metadata, next);
  auto sent = call("POST", table_path(), body);
  if (!sent) return std::move(sent).err();
  if (sent->status == 409) return std::optional<table_version>();  // another writer's commit came first
  if (sent->status == 500 || sent->status == 502 || sent->status == 504) {
    // The specification's CommitStateUnknown: the commit may have happened. Loading the table
    // again tells; the sink's offsets in it say what is committed (docs/iceberg.md).
    return base::error::retry(
        fmt::format("{}: the catalog answered {} {} to a commit, which may or may not "
                    "have happened: {}",
                    describe(), sent->status, sent->type, sent->message));
  }
  if (sent->status != 200) return refused(*sent, "committing");
  auto v = version_of(*sent);
  if (!v) return std::move(v).err();
  return std::optional(std::move(v).value());
}

}  // namespace clicktrail::table
