#include "store/object_store.h"

namespace clicktrail::store {

base::result<std::optional<std::string>> object_store::get(std::string_view key) {
  auto object = read(key);
  if (!object) return std::move(object).err();
  if (!*object) return std::optional<std::string>();
  return std::optional<std::string>(std::move((*object)->bytes));
}

}  // namespace clicktrail::store
