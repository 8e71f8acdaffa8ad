#pragma once
// The rule files built into the binary, as they were at build time (see CMakeLists.txt for where
// each comes from). An operator can point [enrich] at newer copies instead.

#include <string_view>

namespace clicktrail::enrich {

std::string_view uap_core_regexes() noexcept;     // uap-core's regexes.yaml (Debian's uap-core)
std::string_view crawler_user_agents() noexcept;  // crawler-user-agents.json (npm)
std::string_view referrer_sources() noexcept;     // data/referrers.json (ours)

}  // namespace clicktrail::enrich
