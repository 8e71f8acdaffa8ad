// The tracker's state and public API: options, who is tracked, the current page, and emit(),
// which every automatic and custom event goes through.
import type { Props, TrackedEvent } from "./event";
import * as identity from "./identity";
import * as transport from "./transport";
import { now, uuid } from "./util";

export interface Options {
  /** The site key the collector knows (its [[sites]] key). */
  site: string;
  /** Where to post, without a query; relative URLs resolve against the script's URL. Default
   *  /v1/events. */
  endpoint?: string;
  /** Send nothing when Do Not Track or Global Privacy Control is on. Default true. */
  respectDnt?: boolean;
  /** Send uncaught JavaScript errors as `error` events. Default false. */
  trackErrors?: boolean;
  /** Events per request (at most 500). Default 10. */
  batchSize?: number;
  /** How long an event may wait for its batch, in ms. Default 1000. */
  flushMs?: number;
  /** Store nothing in the browser and send no anonymous_id or session_id: the collector derives
   *  them (its site option `cookieless`). Unsent events are kept in memory only. Default false. */
  cookieless?: boolean;
  /** Send cookies with each request (fetch's credentials: 'include'), so that a collector with
   *  its id cookie on (`[identity] cookie`) sees it on a subdomain of the site. Default false. */
  credentials?: boolean;
}

let options: Options | undefined;
let endpoint = "";
let anonymousId = "";
let user: string | undefined; // "" after optOut: left out like undefined
let page: Record<string, string | undefined> = {};

/** May this browser be tracked now: initialised, not opted out, no privacy signal (unless the
 *  site chose respectDnt: false). */
export const allowed = (): boolean =>
  !!options && !identity.optedOut() && !(options.respectDnt !== false && identity.privacySignal());

export function init(o: Options, base: string): boolean {
  if (options || !o?.site) return false;
  options = o;
  endpoint = new URL(o.endpoint || "/v1/events", base).href;
  if (o.cookieless) {
    // what the tracker stored before the site turned the mode on goes, unread
    identity.forget();
    transport.clear();
  } else user = identity.storedUser();
  return true;
}

/** Starts a page view's context; the referrer is the previous page view's URL after a route
 *  change. */
export function setPage(referrer?: string): void {
  page = {
    page_url: location.href,
    page_path: location.pathname,
    page_title: document.title,
    referrer,
  };
}

export const pageUrl = (): string | undefined => page.page_url;

/** `fields` 0: none. */
export function emit(type: string, fields?: object | 0, props?: Props): void {
  if (!allowed()) return;
  const o = options!;
  transport.start(endpoint, o, (dropped) => emit("queue_overflow", 0, { dropped }));
  const t = now();
  const event: TrackedEvent = {
    event_id: uuid(),
    type,
    client_ts: t,
    // in cookieless mode the collector derives both
    ...(!o.cookieless && {
      anonymous_id: (anonymousId ||= identity.anonymousId()),
      session_id: identity.sessionId(t),
    }),
    user_id: user,
    ...page,
    ...fields,
    viewport_w: innerWidth,
    viewport_h: innerHeight,
    screen_w: screen.width,
    screen_h: screen.height,
    locale: navigator.language,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    props: props && Object.keys(props).length ? props : "",
  };
  // absent, not empty: "" would be stored as a value
  for (const k in event) if ((event[k] ?? "") === "") delete event[k];
  transport.enqueue(event);
}

/** A custom event; props must be JSON (anything else is dropped with the event). */
export function track(type: string, props?: Props): void {
  try {
    emit(String(type), 0, props && JSON.parse(JSON.stringify(props)));
  } catch {}
}

/** Sets user_id on this and later events; stored for later pages, except in cookieless mode,
 *  where it lasts as long as the page and the page calls identify() on each load. */
export function identify(userId: string): void {
  if (!allowed()) return;
  user = String(userId);
  if (!options!.cookieless) identity.storeUser(user);
  emit("identify");
}

export function optOut(): void {
  identity.optOut();
  transport.clear();
  anonymousId = "";
  user = "";
}

export const optIn = identity.optIn;
export const flush = transport.flush;
