#include "enrich/user_agent_rules.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <utility>

namespace clicktrail::enrich {

namespace {

// The replacement keys of each section, in the order of ua_rule::fields.
constexpr std::array<std::array<const char*, ua_field_count>, ua_section_count> replacement_keys{{
    {"family_replacement", "v1_replacement", "v2_replacement", "v3_replacement", "v4_replacement"},
    {"os_replacement", "os_v1_replacement", "os_v2_replacement", "os_v3_replacement", "os_v4_replacement"},
    {"device_replacement", "brand_replacement", "model_replacement", nullptr, nullptr},
}};

// A field's fallback when its rule has no replacement, as uap-python 1.0 (the reference the test
// suites run on) has it. The browser takes capture groups 1-5 as they are; the OS and the
// device fall back to the template "$n", which is trimmed like any replacement; the device's
// brand has none.
ua_field_rule fallback(ua_section section, std::size_t field) {
  switch (section) {
    case ua_section::user_agent:
      return {std::nullopt, static_cast<int>(field) + 1};
    case ua_section::os:
      return {fmt::format("${}", field + 1), 0};
    case ua_section::device:
      if (field == 1 || field > 2) return {};
      return {"$1", 0};
  }
  return {};
}

base::error bad_rule(std::string_view origin, ua_section section, std::size_t index, std::string_view why) {
  return base::error::fail(fmt::format("{}: {}[{}] {}; fix the rule, or use uap-core's own regexes.yaml",
                                       origin, to_string(section), index, why));
}

base::status read_section(const YAML::Node& root, ua_section section, std::string_view origin,
                          std::vector<ua_rule>& out) {
  const YAML::Node list = root[std::string(to_string(section))];
  if (!list || !list.IsSequence()) {
    return base::error::fail(
        fmt::format("{}: has no list `{}`; is it uap-core's regexes.yaml?", origin, to_string(section)));
  }
  const auto& keys = replacement_keys[static_cast<std::size_t>(section)];
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    if (!item.IsMap()) return bad_rule(origin, section, i, "is not a map with a `regex`");
    const YAML::Node regex = item["regex"];
    if (!regex || !regex.IsScalar()) return bad_rule(origin, section, i, "has no `regex`");
    ua_rule rule;
    rule.section = section;
    rule.index = i;
    rule.regex = regex.Scalar();
    if (const YAML::Node flag = item["regex_flag"]) {
      if (!flag.IsScalar() || flag.Scalar() != "i") {
        return bad_rule(origin, section, i,
                        "has a regex_flag other than 'i' (the only flag uap-core defines)");
      }
      rule.caseless = true;
    }
    for (std::size_t f = 0; f < ua_field_count; ++f) {
      rule.fields[f] = fallback(section, f);
      if (keys[f] == nullptr) continue;
      if (const YAML::Node replacement = item[keys[f]]) {
        if (!replacement.IsScalar())
          return bad_rule(origin, section, i, fmt::format("has a non-text `{}`", keys[f]));
        rule.fields[f] = {replacement.Scalar(), 0};
      }
    }
    out.push_back(std::move(rule));
  }
  return base::ok_v;
}

}  // namespace

std::string_view to_string(ua_section section) noexcept {
  switch (section) {
    case ua_section::user_agent:
      return "user_agent_parsers";
    case ua_section::os:
      return "os_parsers";
    case ua_section::device:
      return "device_parsers";
  }
  return "?";
}

std::string describe(const ua_rule& rule) {
  return fmt::format("{}[{}] /{}/{}", to_string(rule.section), rule.index, rule.regex,
                     rule.caseless ? "i" : "");
}

std::string unbounded_repeats(std::string_view regex) {
  auto digits = [&](std::size_t at) {
    std::size_t end = at;
    while (end < regex.size() && regex[end] >= '0' && regex[end] <= '9') ++end;
    return end - at;
  };
  auto spaces = [&](std::size_t at) {
    while (at < regex.size() && regex[at] == ' ') ++at;
    return at;
  };
  std::string out;
  out.reserve(regex.size());
  bool in_class = false;
  for (std::size_t i = 0; i < regex.size(); ++i) {
    const char c = regex[i];
    if (c == '\\' && i + 1 < regex.size()) {
      out.append(regex.substr(i++, 2));
      continue;
    }
    if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
      // A ']' first in the class (after any '^') is one of its characters, not its end.
      std::size_t next = i + 1 < regex.size() && regex[i + 1] == '^' ? i + 2 : i + 1;
      if (next < regex.size() && regex[next] == ']') {
        out.append(regex.substr(i, next + 1 - i));
        i = next;
        continue;
      }
    } else if (c == '{' && i + 1 < regex.size() && (regex[i + 1] == '0' || regex[i + 1] == '1')) {
      // {0,N} or {1,N}, spaces allowed around the comma, N of three digits or more
      std::size_t comma = spaces(i + 2);
      if (comma < regex.size() && regex[comma] == ',') {
        std::size_t bound = spaces(comma + 1), length = digits(bound);
        if (length >= 3 && bound + length < regex.size() && regex[bound + length] == '}') {
          out += regex[i + 1] == '0' ? '*' : '+';
          i = bound + length;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

base::result<std::vector<ua_rule>> read_uap_rules(std::string_view regexes_yaml, std::string_view origin) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(regexes_yaml));
  } catch (const YAML::Exception& e) {
    return base::error::fail(fmt::format("{}: is not valid YAML: {}", origin, e.what()));
  }
  if (!root.IsMap()) {
    return base::error::fail(
        fmt::format("{}: is not a map of rule lists; is it uap-core's regexes.yaml?", origin));
  }
  std::vector<ua_rule> rules;
  for (auto section : {ua_section::user_agent, ua_section::os, ua_section::device}) {
    try {
      if (auto read = read_section(root, section, origin, rules); !read) return std::move(read).err();
    } catch (const YAML::Exception& e) {
      return base::error::fail(fmt::format("{}: {}: {}", origin, to_string(section), e.what()));
    }
  }
  return rules;
}

}  // namespace clicktrail::enrich
