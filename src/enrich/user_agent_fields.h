#pragma once
// TEMPORARY, until the user-agent parser lands: its result type, copied from the interface agreed
// for src/enrich/user_agent.h so that bots.h can be written against it. When user_agent.h is
// merged, delete this file and include "enrich/user_agent.h" in bots.h instead (both define the
// struct, so a translation unit that includes both fails to compile: the merge cannot miss it).

#include <optional>
#include <string>

namespace clicktrail::enrich {

struct user_agent_fields {
  std::optional<std::string> browser, browser_version, os, os_version, device, device_brand, device_model;
};

}  // namespace clicktrail::enrich
