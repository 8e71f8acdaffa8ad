#include "event/foreign_batch.h"

namespace clicktrail::event {

std::string foreign_event_id(const base::uuid& ns, std::string_view site, std::string_view id) {
  std::string name;
  name.reserve(site.size() + 1 + id.size());
  name.append(site).push_back('\n');
  name.append(id);
  return base::make_uuid_v5(ns, name).to_string();
}

void derive_event_ids(foreign_batch& decoded, const base::uuid& ns, std::string_view site) {
  for (std::size_t i = 0; i < decoded.base.events.size() && i < decoded.hints.size(); ++i) {
    if (const auto& id = decoded.hints[i].foreign_id)
      decoded.base.events[i].event_id = foreign_event_id(ns, site, *id);
  }
}

}  // namespace clicktrail::event
