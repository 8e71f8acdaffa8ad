// The bundle's entry: defines window.clicktrail and, when its script tag has data-site, starts
// tracking at once.
//
//   <script src="/clicktrail.js" data-site="KEY" async></script>
import { autoTrack } from "./auto";
import * as tracker from "./tracker";
import type { Options } from "./tracker";

interface Api {
  init(options: Options): void;
  track: typeof tracker.track;
  identify: typeof tracker.identify;
  optOut: typeof tracker.optOut;
  optIn: typeof tracker.optIn;
  flush: typeof tracker.flush;
}

const w = window as unknown as { clicktrail?: Api };

// A second copy of the script on the page leaves the first in charge.
if (!w.clicktrail) {
  const script = document.currentScript as HTMLScriptElement | null;
  const base = script?.src || location.href;
  const init = (o: Options): void => {
    if (tracker.init(o, base)) autoTrack(!!o.trackErrors);
  };
  w.clicktrail = {
    init,
    track: tracker.track,
    identify: tracker.identify,
    optOut: tracker.optOut,
    optIn: tracker.optIn,
    flush: tracker.flush,
  };
  const data = script?.dataset;
  if (data?.site)
    init({
      site: data.site,
      endpoint: data.endpoint,
      respectDnt: data.respectDnt != "false",
      trackErrors: data.trackErrors == "true",
      // NaN when absent, which the defaults replace
      batchSize: +data.batchSize!,
      flushMs: +data.flushMs!,
      // a boolean attribute, as in HTML: present means on, whatever its value
      cookieless: data.cookieless != null,
      credentials: data.credentials != null,
    });
}
