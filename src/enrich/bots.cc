#include "enrich/bots.h"

#include <fmt/format.h>
#include <hs/hs.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <map>
#include <optional>

#include "enrich/compiled_cache.h"

namespace clicktrail::enrich {
namespace {

// Headless and automation browsers, asked after uap-core's verdict (bots.h says why each and why
// not Electron). Case-sensitive like the list; our own code, so one that fails to compile fails
// compile().
struct automation {
  const char* pattern;
  const char* name;
};
constexpr automation automation_patterns[] = {
    {"HeadlessChrome", "HeadlessChrome"},
    {"PhantomJS", "PhantomJS"},
    {"SlimerJS", "SlimerJS"},
    {"HtmlUnit", "HtmlUnit"},
    {"\\bjsdom/", "jsdom"},
    {"\\bCypress/", "Cypress"},
    {"Zombie\\.js", "Zombie.js"},
    {"Puppeteer", "Puppeteer"},
    {"Playwright", "Playwright"},
    {"Selenium", "Selenium"},
};

// A list pattern whose name has fewer letters and digits than this must start a word (bots.h).
constexpr std::size_t short_token = 5;

bool is_word(char c) noexcept {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// The literal text of the first alternative of a pattern, by a small recursive descent over the
// regex syntax the list uses. Unknown syntax is dropped, never an error: a name is a label.
class name_reader {
 public:
  explicit name_reader(std::string_view pattern) : p_(pattern) {}

  std::string read() {
    alternative(false);
    return std::move(out_);
  }

 private:
  // Reads items up to the end of the alternative, then skips the others up to the group's ')'
  // (left for the caller) or the end.
  void alternative(bool in_group) {
    while (i_ < p_.size() && !stopped_) {
      const char c = p_[i_];
      if (c == '|') {
        skip_to_group_end();
        return;
      }
      if (c == ')') {
        if (in_group) return;
        ++i_;  // unbalanced: ignore
        continue;
      }
      item();
    }
  }

  void item() {
    const char c = p_[i_];
    switch (c) {
      case '\\':
        escape();
        return;
      case '[':
        char_class();
        return;
      case '(':
        group();
        return;
      case '.':
      case '*':
      case '+':
      case '{':
        wildcard();
        ++i_;
        return;
      case '^':
      case '$':
      case '?':
        ++i_;
        return;
      default:
        out_ += c;
        ++i_;
    }
  }

  void escape() {
    if (i_ + 1 >= p_.size()) {
      ++i_;
      return;
    }
    const char e = p_[i_ + 1];
    i_ += 2;
    if (e == 's') {
      out_ += ' ';
    } else if (!std::isalnum(static_cast<unsigned char>(e))) {
      out_ += e;  // \/ \. \( \! …
    } else if (e != 'b' && e != 'B') {
      wildcard();  // \d \w \S …
    }
  }

  void char_class() {
    const std::size_t start = ++i_;
    if (i_ < p_.size() && p_[i_] == '^') ++i_;
    if (i_ < p_.size() && p_[i_] == ']') ++i_;  // a leading ']' is a member
    while (i_ < p_.size() && p_[i_] != ']') i_ += p_[i_] == '\\' ? 2U : 1U;
    const std::string_view members = p_.substr(start, std::min(i_, p_.size()) - start);
    if (i_ < p_.size()) ++i_;
    if (members.size() == 2 && std::isalpha(static_cast<unsigned char>(members[0])) &&
        members[0] != members[1] &&
        std::tolower(static_cast<unsigned char>(members[0])) ==
            std::tolower(static_cast<unsigned char>(members[1]))) {
      const bool word_start = out_.empty() || !std::isalpha(static_cast<unsigned char>(out_.back()));
      const auto letter = static_cast<unsigned char>(members[0]);
      out_ += static_cast<char>(word_start ? std::toupper(letter) : std::tolower(letter));
    } else {
      wildcard();
    }
  }

  // The name ends before the first element that stands for more than one text, once it has a
  // letter or digit: "BlogTraffic\/\d\.\d+ Feed-Fetcher" is "BlogTraffic".
  void wildcard() {
    for (const char c : out_) stopped_ = stopped_ || std::isalnum(static_cast<unsigned char>(c));
  }

  void group() {
    ++i_;
    if (i_ < p_.size() && p_[i_] == '?') {
      if (i_ + 1 < p_.size() && p_[i_ + 1] == ':') {
        i_ += 2;
      } else {  // a lookaround or a named group: no literal we can trust
        skip_to_group_end();
        if (i_ < p_.size()) ++i_;
        return;
      }
    }
    alternative(true);
    if (i_ < p_.size()) ++i_;  // the ')'
  }

  // Moves to this group's closing ')' (not past it), or to the end at the top level.
  void skip_to_group_end() {
    int depth = 0;
    while (i_ < p_.size()) {
      const char c = p_[i_];
      if (c == '\\') {
        i_ += 2;
        continue;
      }
      if (c == '[') {
        ++i_;
        if (i_ < p_.size() && p_[i_] == ']') ++i_;
        while (i_ < p_.size() && p_[i_] != ']') i_ += p_[i_] == '\\' ? 2U : 1U;
        if (i_ < p_.size()) ++i_;
        continue;
      }
      if (c == '(') ++depth;
      if (c == ')' && depth-- == 0) return;
      ++i_;
    }
    i_ = p_.size();
  }

  std::string_view p_;
  std::size_t i_ = 0;
  std::string out_;
  bool stopped_ = false;
};

std::size_t alnum_count(std::string_view s) noexcept {
  std::size_t n = 0;
  for (const char c : s) n += std::isalnum(static_cast<unsigned char>(c)) ? 1 : 0;
  return n;
}

// Keeps the lowest id that matched: the earliest list entry names the bot.
int on_match(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/, unsigned int /*flags*/,
             void* context) {
  auto& lowest = *static_cast<unsigned int*>(context);
  if (id < lowest) lowest = id;
  return 0;  // keep scanning: a later position may match an earlier entry
}

std::string compile_message(hs_compile_error_t* error) {
  std::string message = error != nullptr && error->message != nullptr ? error->message : "unknown error";
  hs_free_compile_error(error);
  return message;
}

}  // namespace

std::string bot_name_from_pattern(std::string_view pattern) {
  std::string name = name_reader(pattern).read();
  std::string_view v = name;
  for (const std::string_view scheme : {"https://", "http://"}) {
    if (v.starts_with(scheme)) v.remove_prefix(scheme.size());
  }
  constexpr std::string_view trimmed = " /;:,.-_(";
  while (!v.empty() && (trimmed.find(v.front()) != std::string_view::npos || v.front() == ')'))
    v.remove_prefix(1);
  while (!v.empty()) {
    if (trimmed.find(v.back()) != std::string_view::npos) {
      v.remove_suffix(1);
    } else if (v.back() == ')' && v.find('(') == std::string_view::npos) {
      v.remove_suffix(1);
    } else {
      break;
    }
  }
  return v.empty() ? std::string(pattern) : std::string(v);
}

namespace {

// Which patterns of a list were set aside, and why, kept in the compiled cache: a start that
// finds them there skips parsing every pattern on its own (hs_expression_info), which was more
// than half of a start from the cache (94 of 173 million instructions, callgrind). One line a
// rejected pattern: its index, a tab, the reason.
constexpr std::string_view checks_kind = "crawler-checks";
constexpr std::string_view checks_version = "crawler checks 1\n";

std::string checks_to_bytes(const std::vector<rejected_pattern>& rejected) {
  std::string out(checks_version);
  for (const auto& r : rejected) {
    std::string reason = r.reason;
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    out += fmt::format("{}\t{}\n", r.index, reason);
  }
  return out;
}

// index → reason, or nothing for bytes checks_to_bytes() did not write for a list of `size`.
std::optional<std::map<std::size_t, std::string>> checks_from_bytes(std::string_view bytes,
                                                                    std::size_t size) {
  if (!bytes.starts_with(checks_version)) return std::nullopt;
  bytes.remove_prefix(checks_version.size());
  std::map<std::size_t, std::string> out;
  while (!bytes.empty()) {
    const auto tab = bytes.find('\t');
    const auto end = bytes.find('\n');
    if (tab == std::string_view::npos || end == std::string_view::npos || tab > end) return std::nullopt;
    std::size_t index = 0;
    const auto [stop, ec] = std::from_chars(bytes.data(), bytes.data() + tab, index);
    if (ec != std::errc() || stop != bytes.data() + tab || index >= size) return std::nullopt;
    out[index] = std::string(bytes.substr(tab + 1, end - tab - 1));
    bytes.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace

bot_detector::bot_detector(bot_detector&&) noexcept = default;
bot_detector& bot_detector::operator=(bot_detector&&) noexcept = default;
bot_detector::~bot_detector() = default;

base::result<bot_detector> bot_detector::compile(std::string_view crawler_json, std::string_view origin,
                                                 const compiled_cache* cache) {
  const auto not_a_list = [&](std::string_view why) {
    return base::error::fail(
        fmt::format("{}: not a crawler list ({}); expected npm crawler-user-agents' JSON, an array of "
                    "{{\"pattern\": \"...\", ...}}: point the setting at crawler-user-agents.json",
                    origin, why));
  };
  simdjson::dom::parser parser;
  simdjson::dom::array entries;
  if (const auto error = parser.parse(simdjson::padded_string(crawler_json)).get_array().get(entries)) {
    return not_a_list(simdjson::error_message(error));
  }

  const std::string checks_inputs = std::string(checks_version).append(crawler_json);
  std::optional<std::map<std::size_t, std::string>> checked;  // what an earlier start found
  if (cache != nullptr) {
    if (auto bytes = cache->load_bytes(checks_kind, checks_inputs))
      checked = checks_from_bytes(*bytes, entries.size());
  }

  bot_detector detector;
  std::vector<std::string> expressions;  // by id; empty for a rejected pattern
  std::vector<std::string> patterns;     // the list's, as written
  std::size_t index = 0;
  for (const simdjson::dom::element entry : entries) {
    std::string_view pattern;
    if (entry["pattern"].get_string().get(pattern) != simdjson::SUCCESS) {
      return not_a_list(fmt::format("entry {} has no string \"pattern\"", index));
    }
    std::string name = bot_name_from_pattern(pattern);
    std::string expression(pattern);
    if (!pattern.empty() && is_word(pattern.front()) && alnum_count(name) < short_token) {
      expression = fmt::format("\\b(?:{})", pattern);
    }
    // Parse-only check first, so that one bad pattern costs a parse, not a recompile of all.
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* error = nullptr;
    if (checked) {
      if (const auto it = checked->find(index); it != checked->end()) {
        detector.rejected_.push_back({index, std::string(pattern), it->second});
        expression.clear();
      }
    } else if (expression.find('\0') != std::string::npos) {
      detector.rejected_.push_back({index, std::string(pattern), "contains a NUL byte"});
      expression.clear();
    } else if (hs_expression_info(expression.c_str(), HS_FLAG_SINGLEMATCH, &info, &error) != HS_SUCCESS) {
      detector.rejected_.push_back({index, std::string(pattern), compile_message(error)});
      expression.clear();
    } else if (info->min_width == 0) {
      detector.rejected_.push_back(
          {index, std::string(pattern), "matches the empty string: it would flag everyone"});
      expression.clear();
    }
    std::free(info);  // NOLINT: Vectorscan allocates it with malloc
    expressions.push_back(std::move(expression));
    patterns.emplace_back(pattern);
    detector.names_.push_back(std::move(name));
    ++index;
  }
  detector.list_size_ = index;
  for (const automation& a : automation_patterns) {
    expressions.emplace_back(a.pattern);
    detector.names_.emplace_back(a.name);
  }

  // Some patterns pass the parse but not the compile; each failure names one, which is set aside.
  while (true) {
    std::vector<const char*> texts;
    std::vector<unsigned int> flags, ids;
    for (std::size_t id = 0; id < expressions.size(); ++id) {
      if (expressions[id].empty()) continue;
      texts.push_back(expressions[id].c_str());
      flags.push_back(HS_FLAG_SINGLEMATCH);
      ids.push_back(static_cast<unsigned int>(id));
    }
    std::string inputs = "hs_compile_multi HS_MODE_BLOCK\n";
    for (std::size_t i = 0; i < texts.size(); ++i)
      compiled_cache::add_expression(inputs, ids[i], flags[i], texts[i]);
    if (hs_database_t* cached = cache != nullptr ? cache->load(inputs) : nullptr) {
      detector.database_ = vectorscan_database::adopt(cached);
      break;
    }
    checked.reset();  // compiled here: what is set aside is this start's finding, kept below
    hs_database_t* db = nullptr;
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(texts.data(), flags.data(), ids.data(), static_cast<unsigned int>(texts.size()),
                         HS_MODE_BLOCK, nullptr, &db, &error) == HS_SUCCESS) {
      detector.database_ = vectorscan_database::adopt(db);
      if (cache != nullptr) cache->store(inputs, db);
      break;
    }
    const int failed = error != nullptr ? error->expression : -1;
    std::string message = compile_message(error);
    if (failed < 0 || ids[static_cast<std::size_t>(failed)] >= detector.list_size_) {
      return base::error::fail(
          fmt::format("{}: the crawler list does not compile as a whole: {}", origin, message));
    }
    const unsigned int id = ids[static_cast<std::size_t>(failed)];
    detector.rejected_.push_back({id, patterns[id], std::move(message)});
    expressions[id].clear();
  }
  if (cache != nullptr && !checked)
    cache->store_bytes(checks_kind, checks_inputs, checks_to_bytes(detector.rejected_));
  return detector;
}

std::optional<std::string> bot_detector::detect(std::string_view ua, const user_agent_fields& parsed) const {
  unsigned int lowest = UINT_MAX;
  hs_scratch_t* scratch = thread_scratch<bot_detector>(database_);
  const auto length = static_cast<unsigned int>(std::min<std::size_t>(ua.size(), UINT_MAX));
  // An error here (none is expected: the scratch is this thread's and fits) leaves `lowest` as far
  // as the scan got: a user agent is never called a bot by a failure.
  hs_scan(database_.db.get(), ua.data(), length, 0, scratch, on_match, &lowest);

  if (lowest < list_size_) return names_[lowest];
  if (parsed.device == "Spider") {
    return parsed.browser && *parsed.browser != "Other" ? *parsed.browser : std::string("Spider");
  }
  if (lowest != UINT_MAX) return names_[lowest];
  return std::nullopt;
}

}  // namespace clicktrail::enrich
