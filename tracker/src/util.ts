// Small helpers shared by the tracker's parts. Everything here runs on the page's main thread.

/** Reads a localStorage key; undefined when absent or when storage is unavailable (sandboxed
 *  iframes, disabled storage), so that callers fall back to memory. */
export function get(key: string): string | undefined {
  try {
    return localStorage[key];
  } catch {
    return undefined;
  }
}

/** Writes (or, with undefined, removes) a localStorage key; false when storage is full or
 *  missing, for callers to keep working from memory. */
export function set(key: string, value?: string): boolean {
  try {
    value == null ? localStorage.removeItem(key) : localStorage.setItem(key, value);
    return true;
  } catch {
    return false;
  }
}

/** A lowercase random (v4) UUID, from getRandomValues: crypto.randomUUID exists only in secure
 *  contexts, and plain-http pages need ids too. */
export function uuid(): string {
  return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
    (+c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (+c / 4)))).toString(16),
  );
}

/** addEventListener with the tracker's defaults: capture (page code that stops propagation does
 *  not hide the event from us) and passive (we never call preventDefault). */
export function on(target: EventTarget, types: string, listener: (e: any) => void, capture = true): void {
  for (const type of types.split(" ")) target.addEventListener(type, listener, { capture, passive: true });
}

export const now = Date.now;
