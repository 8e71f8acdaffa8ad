#pragma once
// Bot detection: is this user agent a crawler, a monitor, a script or an automated browser, and
// which one?
//
// Three signals, asked in this order; the first that speaks names the bot:
//   1. the crawler list (npm crawler-user-agents, built in; a newer copy comes with a rebuild,
//   docs/enrichment.md):
//      its ~1,500 patterns run as one Vectorscan database, one pass over the user agent. When
//      several match, the one earliest in the list names the bot.
//   2. uap-core's device family "Spider" (the user-agent parser's verdict, passed in): the bot is
//      named by uap-core's browser family ("Googlebot"), or "Spider" when that is "Other".
//   3. headless and automation browsers the list may lack (automation_patterns() in bots.cc):
//      HeadlessChrome, PhantomJS, SlimerJS, HtmlUnit, jsdom, Cypress, Zombie.js, Puppeteer,
//      Playwright, Selenium. Electron is NOT a bot: it is the shell of desktop apps people use
//      (Slack, Discord, VS Code, Teams), and their page views are a person's.
//
// The list's patterns are JavaScript-style regexes, case-sensitive, and run as written, with one
// exception: a pattern whose literal text is shorter than five letters and digits and that starts
// with one must match at the start of a word. Short tokens collide with browsers by chance:
// "008/" (80legs) is inside Opera Mini's "Opera Mini/4.4.39008/", "RED/" (REDbot) ends the
// WIRED app's "WIRED/3.2.3"; a bot's product token starts a word.
//
// A bot's name from the list is the pattern's literal text up to its first wildcard (., \d,
// [^-], a quantifier…) once it has a letter or digit: the first alternative of each
// alternation; a case pair such as [wW] as one letter, upper-case where a word starts and
// lower-case inside one; anchors dropped; escapes resolved; a leading "http(s)://" and trailing
// "/", ".", ";", spaces and an unbalanced ")" trimmed: "Googlebot\/" → "Googlebot",
// "Ahrefs(Bot|SiteAudit)" → "AhrefsBot", "[wW]get" → "Wget", "S[eE][mM]rushBot" →
// "SemrushBot", "BlogTraffic\/\d\.\d+ Feed-Fetcher" → "BlogTraffic". When nothing is left,
// the pattern itself.
//
// Compiled once at start-up (about 0.1-0.3 s for the built-in list), then read-only: detect()
// may be called from any number of threads at once; each thread keeps its own Vectorscan scratch
// space (thread_local, freed when the thread ends).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "enrich/user_agent.h"
#include "enrich/vectorscan.h"

namespace clicktrail::enrich {

class compiled_cache;

// A list pattern Vectorscan refused. It never matches; sink_rules::load logs each at start-up.
struct rejected_pattern {
  std::size_t index = 0;  // its place in the list
  std::string pattern;
  std::string reason;  // Vectorscan's message
};

class bot_detector {
 public:
  // Compiles the crawler list (npm crawler-user-agents' JSON: [{pattern, instances, url, ...}];
  // only `pattern` is read). `origin` names it in errors (a path, or "crawler-user-agents
  // (built in)"). Fails when the text is not such a list; a pattern Vectorscan cannot compile
  // does not fail it but is listed in rejected(). `cache`, if given, keeps the compiled database
  // and the list of patterns set aside between runs (compiled_cache.h).
  static base::result<bot_detector> compile(std::string_view crawler_json, std::string_view origin,
                                            const compiled_cache* cache = nullptr);

  // The bot's name when `ua` is a bot, else nullopt. `parsed` is the user-agent parser's answer
  // for the same `ua`. Thread-safe.
  std::optional<std::string> detect(std::string_view ua, const user_agent_fields& parsed) const;

  const std::vector<rejected_pattern>& rejected() const noexcept { return rejected_; }
  std::size_t pattern_count() const noexcept { return list_size_; }  // the list's, rejected ones included

  bot_detector(bot_detector&&) noexcept;
  bot_detector& operator=(bot_detector&&) noexcept;
  ~bot_detector();

 private:
  bot_detector() = default;

  vectorscan_database database_;
  // By Vectorscan id: the list's entries first (id = index in the list), then the automation
  // patterns (id = list_size_ + i).
  std::vector<std::string> names_;
  std::size_t list_size_ = 0;
  std::vector<rejected_pattern> rejected_;
};

// The name a list pattern gives its bot (the rule above). Exposed for tests.
std::string bot_name_from_pattern(std::string_view pattern);

}  // namespace clicktrail::enrich
