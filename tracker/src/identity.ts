// Who the events are about: the browser (anonymous_id), the visit (session_id), the signed-in
// user (user_id), and whether this browser may be tracked at all. In cookieless mode the tracker
// calls none of the id functions here: only the opt-out flag is read, and stored by optOut().
import { get, set, uuid } from "./util";

const AID = "ct_aid"; // first-party cookie, and its localStorage fallback
const SESSION = "ct_s"; // "<session_id>.<last activity ms>"
const USER = "ct_uid";
const OPT_OUT = "ct_optout";
const SESSION_IDLE = 18e5; // 30 minutes

let session = ""; // memory copy, for browsers without storage

/** The browser's id: the `ct_aid` cookie (1 year, SameSite=Lax, renewed on each page load), else
 *  its localStorage copy (cookies blocked), else a new one. Called only once tracking is allowed,
 *  so that nothing is stored for browsers that refuse it. The cookie is not Secure: it is a
 *  random id, no credential, and http sites need it too. */
export function anonymousId(): string {
  const id = document.cookie.match(/(?:^|; )ct_aid=([^;]+)/)?.[1] || get(AID) || uuid();
  document.cookie = `${AID}=${id}; max-age=31536000; path=/; SameSite=Lax`;
  set(AID, id);
  return id;
}

/** The visit's id at time `t`: kept while events come less than 30 minutes apart. Shared by the
 *  tabs of one browser, as a visitor's tabs are one visit. */
export function sessionId(t: number): string {
  let [id, last] = (get(SESSION) || session).split(".");
  if (!id || t - +last > SESSION_IDLE) id = uuid();
  set(SESSION, (session = id + "." + t));
  return id;
}

export const storedUser = (): string | undefined => get(USER);
export const storeUser = (id: string): void => {
  set(USER, id);
};

/** Do Not Track or Global Privacy Control is on in this browser. */
export const privacySignal = (): boolean =>
  navigator.doNotTrack == "1" || (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl === true;

export const optedOut = (): boolean => get(OPT_OUT) == "1";

/** Stops tracking this browser and forgets its ids. */
export function optOut(): void {
  set(OPT_OUT, "1");
  forget();
}

/** Deletes the ids stored in this browser (optOut, and cookieless mode, which removes what the
 *  tracker stored before the site turned it on). Only removes: reads nothing, stores nothing. */
export function forget(): void {
  for (const key of [AID, SESSION, USER]) set(key);
  session = "";
  document.cookie = `${AID}=; max-age=0; path=/`;
}

export const optIn = (): void => {
  set(OPT_OUT);
};
