#include "store/open_store.h"

#include "store/credential_sources.h"
#include "store/environment.h"
#include "store/local_store.h"
#include "store/s3_store.h"

namespace clicktrail::store {

base::result<std::unique_ptr<object_store>> open_store(const config::output_location& where,
                                                       const config::s3_config& s3, base::registry& metrics) {
  switch (where.where) {
    case config::output_location::kind::local: {
      auto local = local_store::open(where.path, metrics);
      if (!local) return std::move(local).err();
      return std::unique_ptr<object_store>(std::move(*local));
    }
    case config::output_location::kind::s3: {
      const environment env = environment::from_process();
      http_client_options http_options;
      http_options.ca_bundle = env.get("AWS_CA_BUNDLE").value_or("");
      auto http = std::make_shared<http_client>(std::move(http_options));
      s3_store_options options;
      options.client.bucket = where.bucket;
      options.client.region = s3.region;
      options.client.endpoint = s3.endpoint;
      options.client.path_style = s3.path_style;
      options.prefix = where.prefix;
      auto store = s3_store::create(std::move(options), default_credential_chain(env, http), http, metrics);
      if (!store) return std::move(store).err();
      return std::unique_ptr<object_store>(std::move(*store));
    }
  }
  return base::error::fail("sink.output names no known kind of store");  // unreachable: the enum is closed
}

}  // namespace clicktrail::store
