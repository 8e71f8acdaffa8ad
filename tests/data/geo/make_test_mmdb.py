#!/usr/bin/env python3
"""Writes the small MaxMind-format databases the geo tests look addresses up in.

    make_test_mmdb.py OUT_DIR    →  OUT_DIR/city.mmdb (GeoLite2-City layout)
                                    OUT_DIR/asn.mmdb  (GeoLite2-ASN layout)

Every network is in a documentation range (RFC 5737: 192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24; RFC 3849: 2001:db8::/32) and every AS number in RFC 5398's or RFC 6996's, so
no test can be mistaken for a real place. EXPECTED says what clicktrail must answer for each
address; the unit tests (src/enrich/tests/geo_test.cc) check the same values, and the end-to-end
tests import this module:

    sys.path.insert(0, str(REPO_ROOT / "tests" / "data" / "geo"))
    import make_test_mmdb
    make_test_mmdb.write(out_dir); make_test_mmdb.EXPECTED["192.0.2.10"]["city"]

Needs mmdb-writer and netaddr (tests/e2e/requirements.txt; ./dev setup installs them in .venv).
"""

from __future__ import annotations

import sys
from pathlib import Path

from mmdb_writer import MMDBWriter, MmdbU32
from netaddr import IPSet


def _place(country=None, registered=None, subdivisions=(), city=None):
    """A City-layout record: only the keys clicktrail reads, plus geoname ids as real ones have."""
    record = {}
    if country:
        record["country"] = {"iso_code": country, "geoname_id": MmdbU32(1)}
    if registered:
        record["registered_country"] = {"iso_code": registered, "geoname_id": MmdbU32(2)}
    if subdivisions:
        record["subdivisions"] = list(subdivisions)
    if city:
        record["city"] = {"geoname_id": MmdbU32(3), "names": {"en": city, "de": city + " (de)"}}
    return record


def _subdivision(name, iso_code=None):
    # DB-IP's City Lite has no iso_code in its subdivisions, GeoLite2-City has both.
    entry = {"names": {"en": name, "fr": name + " (fr)"}}
    if iso_code:
        entry["iso_code"] = iso_code
    return entry


# network → City-layout record
CITY = {
    # GeoLite2-City: two subdivisions; clicktrail keeps the first (the larger).
    "192.0.2.0/24": _place("GB", "GB", [_subdivision("England", "ENG"), _subdivision("Greater London", "LND")], "London"),
    # Non-ASCII names, byte for byte in UTF-8.
    "198.51.100.0/24": _place("BR", "BR", [_subdivision("São Paulo", "SP")], "São Paulo"),
    # Only the registered country (as for some anycast and satellite ranges): the fallback.
    "203.0.113.0/25": _place(registered="JP"),
    # Country precision only.
    "203.0.113.128/25": _place("DE", "DE"),
    "2001:db8:1::/48": _place("FR", "FR", [_subdivision("Île-de-France", "IDF")], "Paris"),
    # DB-IP City Lite's layout: a subdivision with a name and no code.
    "2001:db8:2::/48": _place("US", None, [_subdivision("California")], "Mountain View"),
}

# network → ASN-layout record. 64496-64511 (RFC 5398) and 4200000000+ (RFC 6996, 32-bit).
ASN = {
    "192.0.2.0/24": (64496, "Example Transit Ltd"),
    "198.51.100.0/24": (4200000001, "Exemplo Móvel S.A."),
    "2001:db8:1::/48": (64511, "Example IPv6 Networks"),
}

# address → the fields clicktrail's geo_databases::lookup must return (absent keys: empty).
EXPECTED = {
    "192.0.2.10": {"country": "GB", "region": "England", "city": "London", "asn": 64496, "asn_org": "Example Transit Ltd"},
    "::ffff:192.0.2.10": {"country": "GB", "region": "England", "city": "London", "asn": 64496, "asn_org": "Example Transit Ltd"},
    "198.51.100.7": {"country": "BR", "region": "São Paulo", "city": "São Paulo", "asn": 4200000001, "asn_org": "Exemplo Móvel S.A."},
    "203.0.113.5": {"country": "JP"},
    "203.0.113.200": {"country": "DE"},
    "2001:db8:1::1": {"country": "FR", "region": "Île-de-France", "city": "Paris", "asn": 64511, "asn_org": "Example IPv6 Networks"},
    "2001:db8:2:ffff::9": {"country": "US", "region": "California", "city": "Mountain View"},
    "2001:db8:3::1": {},  # in no network
    "10.1.2.3": {},  # private: in no database
    "127.0.0.1": {},
}


def _writer(database_type: str, description: str) -> MMDBWriter:
    # An IPv6 tree holding IPv4 in ::/96, as MaxMind's own databases do.
    return MMDBWriter(ip_version=6, ipv4_compatible=True, database_type=database_type,
                      languages=["en"], description=description)


def write(out_dir) -> tuple[Path, Path]:
    """Writes city.mmdb and asn.mmdb into out_dir (made if missing); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    city = _writer("GeoLite2-City", "clicktrail test data: documentation ranges only")
    for network, record in CITY.items():
        city.insert_network(IPSet([network]), record)
    asn = _writer("GeoLite2-ASN", "clicktrail test data: documentation ranges only")
    for network, (number, org) in ASN.items():
        # GeoLite2-ASN stores the number as uint32 whatever its size.
        asn.insert_network(IPSet([network]), {"autonomous_system_number": MmdbU32(number),
                                              "autonomous_system_organization": org})
    # Written beside, then renamed: a reader never sees half a file.
    paths = []
    for name, writer in (("city.mmdb", city), ("asn.mmdb", asn)):
        tmp = out / (name + ".tmp")
        writer.to_db_file(str(tmp))
        tmp.replace(out / name)
        paths.append(out / name)
    return paths[0], paths[1]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT_DIR  (writes OUT_DIR/city.mmdb and OUT_DIR/asn.mmdb)")
    write(sys.argv[1])
