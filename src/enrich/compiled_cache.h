#pragma once
// Compiled rules kept on disk between runs: Vectorscan databases, and the user-agent rules as
// read and prefiltered (user_agent.cc). Compiling the crawler list and the user-agent rules'
// literals was about 0.9 of a sink's 1.7 billion instructions at start (callgrind), and reading
// regexes.yaml and prefiltering its rules 0.4 of the 0.8 left. Every sink, `clicktrail run` and
// compaction that enriches paid them at each start; with the cache, only the first.
//
// An entry is filed under a hash (XXH3, 128 bits) of everything that went into it: the caller's inputs (the
// expressions with their flags, ids and lengths, the compile mode, or the rule file), clicktrail's
// and Vectorscan's versions and this machine's platform (CPU features and tuning). A different rule list,
// library or CPU therefore never finds another's entry. A file is the entry's bytes behind a hash of them;
// one that fails that check, or that its reader refuses (cut short, written by hand), is ignored, compiled
// again and replaced. Files are written to a temporary name and renamed into place, so sinks starting side by
// side read whole files only.
//
// The directory is trusted like the binary: a database is code for Vectorscan's engine, so the
// cache lives in the user's own cache directory, created owner-only.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

struct hs_database;

namespace clicktrail::enrich {

class compiled_cache {
 public:
  // `dir` empty: no cache; load() finds nothing and store() keeps nothing.
  explicit compiled_cache(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // The directory `setting` (enrich.cache_dir) names: empty means $XDG_CACHE_HOME/clicktrail, or
  // else $HOME/.cache/clicktrail (no cache when neither is set); "off" means none.
  static std::filesystem::path dir_for(std::string_view setting);

  // Appends one expression to `inputs`, the description of a compile that load() and store()
  // file a database under: each expression's id, flags, length and text, after the caller's own
  // words for the kind of compile and its mode.
  static void add_expression(std::string& inputs, unsigned id, unsigned flags, std::string_view text);

  // The database compiled from `inputs`, or null when the cache holds none that is whole. The
  // caller owns it.
  hs_database* load(std::string_view inputs) const;
  // Keeps `db`, compiled from `inputs`, for later runs. Best effort: a cache that cannot be
  // written (read-only, full) costs the next start a compile, nothing else.
  void store(std::string_view inputs, const hs_database* db) const;

  // The same for any bytes a caller derives from `inputs`; `kind` names its files.
  std::optional<std::string> load_bytes(std::string_view kind, std::string_view inputs) const;
  void store_bytes(std::string_view kind, std::string_view inputs, std::string_view bytes) const;

  const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  std::filesystem::path file_for(std::string_view kind, std::string_view inputs) const;

  std::filesystem::path dir_;
};

}  // namespace clicktrail::enrich
