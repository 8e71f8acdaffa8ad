// What the tracker records without being asked: page views (including single-page-app route
// changes), clicks, form submits, scroll depth, engaged time and, when enabled, JS errors.
// Every listener is passive and in the capture phase, so the page's own handlers can neither
// hide events from the tracker nor be slowed by it.
import { clickable, ctProps, target } from "./target";
import { emit, pageUrl, setPage } from "./tracker";
import { hide, retryNow } from "./transport";
import { now, on } from "./util";

const ACTIVE_WINDOW = 30000; // ms a user counts as engaged after their last input
const MAX_ERRORS = 10; // per page load, so that an error in a loop cannot flood the collector

let path = ""; // pathname + search of the current page view; hash changes are not page views
let depth = 0; // the highest scroll threshold sent in this page view
let engaged = 0;
let lastTick = now();
let lastActive = lastTick;
let errors = 0;

export function autoTrack(trackErrors: boolean): void {
  const w = window;
  const d = document;
  for (const m of ["pushState", "replaceState"] as const) {
    const original = history[m];
    history[m] = function (this: History, ...args: Parameters<History["pushState"]>) {
      original.apply(this, args);
      // after the router's own code, which often sets the title just after pushState
      setTimeout(pageView);
    };
  }
  on(w, "popstate", () => setTimeout(pageView));
  on(w, "pageshow", (e: PageTransitionEvent) => {
    if (e.persisted) {
      // back from the back/forward cache: sending resumes, and it is a new view of the page
      hide(false);
      path = "";
      pageView();
    }
  });
  on(d, "click", (e: MouseEvent) => {
    const el = clickable(e.target as Element);
    if (el) emit("click", { ...target(el), x: e.pageX | 0, y: e.pageY | 0 }, ctProps(el));
  });
  on(d, "submit", (e: SubmitEvent) => emit("form_submit", target(e.target as Element)));
  on(w, "scroll", scroll, false);
  on(d, "mousemove keydown touchstart scroll", () => {
    tick();
    lastActive = lastTick;
  });
  on(d, "visibilitychange", () => {
    // the state has already changed: count the time before only if the page was visible
    tick(d.hidden);
    if (d.hidden) hide();
    else lastActive = lastTick;
  });
  on(w, "pagehide", () => {
    engagement();
    hide(true);
  });
  on(w, "online", retryNow);
  if (trackErrors)
    on(
      w,
      "error",
      (e: ErrorEvent) => {
        if (e.message && errors++ < MAX_ERRORS)
          emit("error", 0, { message: e.message, source: e.filename, line: e.lineno });
      },
      false,
    );
  pageView();
}

/** A page view, unless the path and query are those of the current one. */
function pageView(): void {
  const p = location.pathname + location.search;
  if (p == path) return;
  const previous = path && pageUrl();
  if (path) engagement(); // the view that ends, with its own page fields
  path = p;
  depth = 0;
  setPage(previous || document.referrer);
  emit("page_view");
}

function scroll(): void {
  const pct = Math.min(
    100,
    Math.round(((scrollY + innerHeight) / document.documentElement.scrollHeight) * 100),
  );
  while (depth < 100 && pct >= depth + 25) emit("scroll", { scroll_depth: (depth += 25) });
}

/** Adds the time since the last tick to engaged time, if the page was visible then, counting
 *  only up to ACTIVE_WINDOW after the user's last input. */
function tick(visible = !document.hidden): void {
  const t = now();
  if (visible) engaged += Math.max(0, Math.min(t, lastActive + ACTIVE_WINDOW) - lastTick);
  lastTick = t;
}

function engagement(): void {
  tick();
  if (engaged > 0) emit("engagement", { engaged_ms: engaged });
  engaged = 0;
}
