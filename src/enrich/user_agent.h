#pragma once
// The user-agent parser: uap-core's rules (regexes.yaml) → browser, OS and device.
//
// Semantics are uap-core's specification: in each of the three sections the first rule in file
// order whose regex matches wins; its *_replacement fields take $1..$9 from the capture groups;
// nothing matching gives the family "Other". Each regex runs in RE2. A user agent is not run
// against all ~1,160 of them: every regex's required literals ("atoms", re2::FilteredRE2's
// prefilter of that regex, kept as clauses by rule_prefilter.h) are looked for in one Vectorscan
// pass, and only the rules whose clauses all hold (or that have none) run, in file order — the
// way ua-parser-rs does it. uap-core's test suites pass in full (tests/user_agent_test.cc).
//
// Compiled once at start-up (about 70 ms of CPU for uap-core 0.16.0; a few ms with the plan and
// the scanner from the compiled cache), each rule's RE2 when a user agent first gets past its
// prefilter; otherwise read-only: parse() may be called from any number of threads at once. Repeating user
// agents are best served through an lru_cache<user_agent_fields> per thread (lru_cache.h).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace clicktrail::enrich {

class compiled_cache;

struct user_agent_fields {
  // browser: the family ("Other" when no rule matches); browser_version: major[.minor[.patch
  // [.patch_minor]]] of the parts present, none without a major. The same for os/os_version.
  // device: the device family ("Other" when no rule matches), device_brand, device_model.
  std::optional<std::string> browser, browser_version, os, os_version, device, device_brand, device_model;
  friend bool operator==(const user_agent_fields&, const user_agent_fields&) = default;
};

class user_agent_parser {
 public:
  // Compiles uap-core's regexes.yaml text. `origin` names it in errors (a path, or "uap-core
  // 0.16.0 (built in)"); an error says which rule (section + index + regex) failed and why.
  // `cache`, if given, keeps the rules' plan (user_agent_plan.h) and the compiled literal scanner
  // between runs (compiled_cache.h).
  static base::result<user_agent_parser> compile(std::string_view regexes_yaml, std::string_view origin,
                                                 const compiled_cache* cache = nullptr);

  user_agent_fields parse(std::string_view ua) const;  // thread-safe

  user_agent_parser(user_agent_parser&&) noexcept;
  user_agent_parser& operator=(user_agent_parser&&) noexcept;
  ~user_agent_parser();

 private:
  struct engine;   // RE2 and Vectorscan stay out of this header
  struct scratch;  // one thread's buffers
  explicit user_agent_parser(std::unique_ptr<const engine> compiled);

  std::unique_ptr<const engine> engine_;
};

}  // namespace clicktrail::enrich
