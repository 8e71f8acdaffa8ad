#include "config/sources.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>
#include <stdexcept>

#include "config/units.h"

extern char** environ;  // NOLINT: POSIX

namespace clicktrail::config {
namespace {

using problems = std::vector<std::string>;

bool is_passthrough(std::string_view section) {
  return std::ranges::find(passthrough_sections, section) != std::end(passthrough_sections);
}

bool is_repeated(std::string_view section) {
  return std::ranges::find(repeated_sections, section) != std::end(repeated_sections);
}

bool is_section(std::string_view name) {
  return std::ranges::any_of(all_settings(), [&](const setting& s) { return s.section == name; });
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " Did you mean "kafka.brokers"?" when a declared name is close, else a pointer to the docs.
std::string suggestion(std::string_view unknown, bool as_env = false) {
  const setting* best = nullptr;
  size_t best_distance = 3;  // farther than this is not a typo
  for (const auto& s : all_settings()) {
    const std::string candidate = as_env ? s.env_name() : s.name();
    const size_t d = edit_distance(unknown, candidate);
    if (d < best_distance) best_distance = d, best = &s;
  }
  if (best) return fmt::format("; did you mean \"{}\"?", as_env ? best->env_name() : best->name());
  return "; `clicktrail config docs` lists every key";
}

std::string bounds_text(const setting& s) {
  switch (s.type) {
    case setting_type::size:
      return fmt::format("{} to {}", format_size(s.min), format_size(s.max));
    case setting_type::duration:
      return fmt::format("{} to {}", format_duration_ms(s.min), format_duration_ms(s.max));
    default:
      return fmt::format("{} to {}", s.min, s.max);
  }
}

std::string expected_text(const setting& s) {
  switch (s.type) {
    case setting_type::string:
      return "a string";
    case setting_type::integer:
      return fmt::format("an integer from {}", bounds_text(s));
    case setting_type::boolean:
      return "true or false";
    case setting_type::size:
      return fmt::format("a size such as \"64KiB\", \"128MiB\" or \"1GiB\", from {}", bounds_text(s));
    case setting_type::duration:
      return fmt::format("a duration such as \"500ms\", \"30s\", \"5m\", \"1h\" or \"7d\", from {}",
                         bounds_text(s));
    case setting_type::string_list:
      return "a list of strings";
    case setting_type::choice:
      return fmt::format("one of {}", s.choices);
  }
  return "?";
}

// The common last step: bounds and choices, whatever the source.
std::optional<std::string> out_of_range(const setting& s, const value& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) {
    if (s.min != s.max && (*n < s.min || *n > s.max)) return fmt::format("must be {}", expected_text(s));
  }
  if (s.type == setting_type::choice) {
    const auto& text = std::get<std::string>(v);
    std::string_view rest = s.choices;
    while (!rest.empty()) {
      const auto bar = rest.find('|');
      if (rest.substr(0, bar) == text) return std::nullopt;
      rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
    }
    return fmt::format("must be {}", expected_text(s));
  }
  return std::nullopt;
}

// Text from the environment, a flag or the table's default.
std::optional<value> from_text(const setting& s, std::string_view text) {
  switch (s.type) {
    case setting_type::string:
    case setting_type::choice:
      return value{std::string(text)};
    case setting_type::integer: {
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
      return value{n};
    }
    case setting_type::boolean:
      if (text == "true" || text == "1" || text == "yes") return value{true};
      if (text == "false" || text == "0" || text == "no") return value{false};
      return std::nullopt;
    case setting_type::size:
      if (auto n = parse_size(text)) return value{*n};
      return std::nullopt;
    case setting_type::duration:
      if (auto n = parse_duration_ms(text)) return value{*n};
      return std::nullopt;
    case setting_type::string_list: {
      std::vector<std::string> items;
      if (text == "[]") return value{items};
      std::string_view rest = text;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        auto item = rest.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) items.emplace_back(item);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
      return value{items};
    }
  }
  return std::nullopt;
}

std::optional<value> from_toml(const setting& s, const toml::node& node) {
  switch (s.type) {
    case setting_type::string:
    case setting_type::choice:
      if (auto v = node.value<std::string>(); v && node.is_string()) return value{*v};
      return std::nullopt;
    case setting_type::integer:
      if (node.is_integer()) return value{node.as_integer()->get()};
      return std::nullopt;
    case setting_type::boolean:
      if (node.is_boolean()) return value{node.as_boolean()->get()};
      return std::nullopt;
    case setting_type::size:
      if (node.is_integer()) return value{node.as_integer()->get()};
      [[fallthrough]];
    case setting_type::duration:
      if (node.is_string()) return from_text(s, node.as_string()->get());
      return std::nullopt;
    case setting_type::string_list: {
      const auto* array = node.as_array();
      if (!array) return std::nullopt;
      std::vector<std::string> items;
      for (const auto& item : *array) {
        if (!item.is_string()) return std::nullopt;
        items.push_back(item.as_string()->get());
      }
      return value{items};
    }
  }
  return std::nullopt;
}

// The value as the user wrote it, for messages.
std::string shown(const toml::node& node) {
  if (node.is_string()) return fmt::format("\"{}\"", node.as_string()->get());
  std::ostringstream text;
  node.visit([&](const auto& n) { text << n; });
  return text.str();
}

std::string where(const std::string& file, const toml::node& node) {
  const auto& begin = node.source().begin;
  return fmt::format("{}:{}:{}", file, begin.line, begin.column);
}

// Checks one value from any source and stores it; records a problem instead when it is bad.
void store(const setting& s, std::optional<value> v, std::string_view shown, std::string origin,
           table_values& into, problems& out) {
  if (!v) {
    out.push_back(
        fmt::format("{}: {} = {} is not valid: it must be {}", origin, s.name(), shown, expected_text(s)));
    return;
  }
  if (auto why = out_of_range(s, *v)) {
    out.push_back(fmt::format("{}: {} = {} {}", origin, s.name(), shown, *why));
    return;
  }
  into.insert_or_assign(std::string(s.key), entry{std::move(*v), std::move(origin)});
}

void read_table(const std::string& file, std::string_view section, const toml::table& table,
                table_values& into, raw_config& config, problems& out) {
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    const std::string full = fmt::format("{}.{}", section, key);
    if (is_passthrough(full)) {
      if (!node.is_table()) {
        out.push_back(
            fmt::format("{}: [{}] must be a table of librdkafka properties", where(file, node), full));
        continue;
      }
      auto& props = config.passthrough[full];
      for (const auto& [prop, prop_value] : *node.as_table()) {
        if (prop_value.is_string())
          props[std::string(prop.str())] = prop_value.as_string()->get();
        else if (prop_value.is_integer())
          props[std::string(prop.str())] = std::to_string(prop_value.as_integer()->get());
        else if (prop_value.is_boolean())
          props[std::string(prop.str())] = prop_value.as_boolean()->get() ? "true" : "false";
        else
          out.push_back(fmt::format("{}: {}.{} must be a string, integer or boolean", where(file, prop_value),
                                    full, prop.str()));
      }
      continue;
    }
    const setting* s = find_setting(section, key);
    if (!s) {
      out.push_back(fmt::format("{}: unknown key \"{}\"{}", where(file, node), full, suggestion(full)));
      continue;
    }
    store(*s, from_toml(*s, node), shown(node), where(file, node), into, out);
  }
}

void read_file(const std::filesystem::path& path, raw_config& config, problems& out) {
  const std::string file = path.string();
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    if (begin.line == 0) {
      out.push_back(fmt::format("{}: cannot read the config file: {}", file, e.description()));
    } else {
      out.push_back(
          fmt::format("{}:{}:{}: not valid TOML: {}", file, begin.line, begin.column, e.description()));
    }
    return;
  }
  for (const auto& [k, node] : root) {
    const std::string section(k.str());
    if (is_repeated(section)) {
      const auto* array = node.as_array();
      if (!array || !array->is_array_of_tables()) {
        out.push_back(
            fmt::format("{}: \"{}\" must be written as [[{}]] tables", where(file, node), section, section));
        continue;
      }
      config.sections.insert(section);
      for (const auto& item : *array) {
        read_table(file, section, *item.as_table(), config.sites.emplace_back(), config, out);
      }
    } else if (is_section(section) && node.is_table()) {
      config.sections.insert(section);
      table_values values;
      read_table(file, section, *node.as_table(), values, config, out);
      for (auto& [key, e] : values) config.values.insert_or_assign(section + "." + key, std::move(e));
    } else if (is_section(section)) {
      out.push_back(fmt::format("{}: \"{}\" must be a [{}] table", where(file, node), section, section));
    } else {
      out.push_back(fmt::format(
          "{}: unknown section [{}]; the sections are log, http, ingest, sites, enrich, kafka, sink, s3, wal",
          where(file, node), section));
    }
  }
}

// CLICKTRAIL_SITES="demo=http://localhost:8080 https://me.github.io; blog=*"
void read_sites_env(const std::string& text, raw_config& config, problems& out) {
  config.sites.clear();
  config.sections.insert("sites");
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    std::string_view item = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      out.push_back(
          fmt::format("CLICKTRAIL_SITES: \"{}\" must be KEY=ORIGIN [ORIGIN…], sites separated by ';'", item));
      continue;
    }
    table_values site;
    site.emplace("key", entry{std::string(item.substr(0, eq)), "CLICKTRAIL_SITES"});
    std::vector<std::string> origins;
    std::string_view list = item.substr(eq + 1);
    while (!list.empty()) {
      const auto space = list.find(' ');
      if (space != 0) origins.emplace_back(list.substr(0, space));
      list = space == std::string_view::npos ? std::string_view{} : list.substr(space + 1);
    }
    site.emplace("origins", entry{origins, "CLICKTRAIL_SITES"});
    config.sites.push_back(std::move(site));
  }
}

std::string lower_dotted(std::string_view env_suffix) {
  std::string out;
  for (char c : env_suffix)
    out.push_back(c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

void read_environment(const load_options& options, raw_config& config, problems& out) {
  for (const auto& [name, text] : options.environment) {
    if (!name.starts_with("CLICKTRAIL_")) continue;
    if (name == "CLICKTRAIL_SITES") {
      read_sites_env(text, config, out);
      continue;
    }
    bool handled = false;
    for (std::string_view section : passthrough_sections) {
      const std::string prefix = "CLICKTRAIL_" + lower_dotted(section) + "_";
      std::string upper_prefix;
      for (char c : prefix)
        upper_prefix.push_back(c == '.' ? '_'
                                        : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      if (name.starts_with(upper_prefix) && name.size() > upper_prefix.size()) {
        config.passthrough[std::string(section)][lower_dotted(name.substr(upper_prefix.size()))] = text;
        config.sections.insert(std::string(section.substr(0, section.find('.'))));
        handled = true;
      }
    }
    for (const auto& s : all_settings()) {
      if (handled || is_repeated(s.section) || name != s.env_name()) continue;
      table_values one;
      store(s, from_text(s, text), fmt::format("\"{}\"", text), name, one, out);
      if (auto it = one.find(s.key); it != one.end()) {
        config.values.insert_or_assign(s.name(), std::move(it->second));
        config.sections.insert(std::string(s.section));
      }
      handled = true;
    }
    // CLICKTRAIL_<SECTION>_<TYPO>: refuse, so that a misspelt variable is not silently ignored.
    if (!handled) {
      for (const auto& s : all_settings()) {
        std::string prefix = "CLICKTRAIL_";
        for (char c : s.section)
          prefix.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
        prefix.push_back('_');
        if (name.starts_with(prefix)) {
          out.push_back(fmt::format("{}: unknown setting variable{}", name, suggestion(name, true)));
          break;
        }
      }
    }
  }
}

void read_flags(const load_options& options, raw_config& config, problems& out) {
  for (const auto& f : options.flags) {
    const auto dot = f.setting.find('.');
    const setting* s = find_setting(f.setting.substr(0, dot), f.setting.substr(dot + 1));
    if (!s) throw std::logic_error("flag " + f.flag + " maps to undeclared setting " + f.setting);
    table_values one;
    store(*s, from_text(*s, f.text), fmt::format("\"{}\"", f.text), f.flag, one, out);
    if (auto it = one.find(s->key); it != one.end()) {
      config.values.insert_or_assign(s->name(), std::move(it->second));
    }
  }
}

void fill_defaults(raw_config& config) {
  for (const auto& s : all_settings()) {
    if (is_repeated(s.section) || !s.has_default() || config.values.contains(s.name())) continue;
    auto v = from_text(s, s.default_value);
    if (!v || out_of_range(s, *v)) throw std::logic_error("the default of " + s.name() + " is invalid");
    config.values.emplace(s.name(), entry{std::move(*v), "default"});
  }
}

}  // namespace

base::result<raw_config> read_sources(const load_options& options) {
  raw_config config;
  problems found;
  if (options.file) read_file(*options.file, config, found);
  read_environment(options, config, found);
  read_flags(options, config, found);
  fill_defaults(config);
  if (!found.empty()) {
    std::string message;
    for (const auto& p : found) message += (message.empty() ? "" : "\n") + p;
    return base::error::fail(std::move(message));
  }
  return config;
}

std::vector<std::pair<std::string, std::string>> process_environment() {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view line(*e);
    const auto eq = line.find('=');
    if (eq != std::string_view::npos) out.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

}  // namespace clicktrail::config
