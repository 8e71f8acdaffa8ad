#pragma once
// The client's address as stored in the `ip` column: the connecting peer, or — when the peer is
// a trusted proxy — the nearest address in X-Forwarded-For that is not itself a trusted proxy
// (the header's left part is whatever the client wrote, so only the proxies' own additions on
// the right are believed). Stored anonymised by default: IPv4 keeps its /24, IPv6 its /48.

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "ingest/exchange.h"

namespace clicktrail::ingest {

// Both empty when no valid address is found.
client_address client_ip(std::string_view peer, std::string_view forwarded_for,
                         const std::vector<config::cidr>& trusted_proxies, bool anonymize);

}  // namespace clicktrail::ingest
