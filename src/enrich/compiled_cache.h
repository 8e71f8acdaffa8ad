#pragma once
// Compiled Vectorscan databases kept on disk between runs. Compiling the crawler list and the
// user-agent rules' literals is most of a sink's start: about 0.9 of its 1.7 billion instructions
// (callgrind), 0.14 s of 0.24 s of CPU on this project's machines. Every sink, `clicktrail run`
// and compaction that enriches pays it at each start; with the cache, only the first.
//
// A database is filed under a SHA-256 of everything that went into it: the expressions with
// their flags, ids and lengths as the caller lays them out, the compile mode, Vectorscan's
// version and this machine's platform (CPU features and tuning). A different rule list, library
// or CPU therefore never finds another's database. A file is the database serialized by
// Vectorscan behind a SHA-256 of it; one that fails that check or does not deserialize (cut
// short, written by hand) is ignored, compiled again and replaced. Files are written to a
// temporary name and renamed into place, so sinks starting side by side read whole files only.
//
// The directory is trusted like the binary: a database is code for Vectorscan's engine, so the
// cache lives in the user's own cache directory, created owner-only.

#include <filesystem>
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

  const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  std::filesystem::path file_for(std::string_view inputs) const;

  std::filesystem::path dir_;
};

}  // namespace clicktrail::enrich
