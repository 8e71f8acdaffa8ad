// Describes the element a click or form submit happened on. Empty fields are left out by emit().
import type { Props, Target } from "./event";

const TEXT_LIMIT = 200;
const SELECTOR_DEPTH = 4;

const text = (s: unknown): string => (typeof s == "string" && s) || "";

/** An <input> that is a button: its value is its label. Other inputs' values are what the
 *  visitor typed, which the tracker never reads. */
const buttonInput = (el: Element): boolean =>
  el.tagName == "INPUT" && /^(submit|button|reset)$/.test((el as HTMLInputElement).type);

export function target(el: Element): Target {
  return {
    target_tag: el.localName,
    target_id: el.id,
    target_classes: el.getAttribute("class")?.trim(),
    target_text: ((buttonInput(el) ? (el as HTMLInputElement).value : el.textContent) || "").replace(/\s+/g, " ").trim().slice(0, TEXT_LIMIT),
    // a form's href is where it submits to; SVG links have no string href and get none
    target_href: text((el as any).href) || text((el as any).action),
    target_selector: selector(el),
  };
}

/** A short CSS path to the element: up to four steps below <body>, starting at the nearest id. */
function selector(el: Element | null): string {
  const steps: string[] = [];
  for (let i = 0; el && el != document.body && i < SELECTOR_DEPTH; i++, el = el.parentElement) {
    let step = el.localName;
    if (el.id) {
      steps.unshift(step + "#" + CSS.escape(el.id));
      break;
    }
    const cls = el.classList[0];
    if (cls) step += "." + CSS.escape(cls);
    const same = [...(el.parentElement?.children || [])].filter((s) => s.localName == el!.localName);
    if (same.length > 1) step += `:nth-of-type(${same.indexOf(el) + 1})`;
    steps.unshift(step);
  }
  return steps.join(">");
}

/** The element's data-ct-* attributes as props (data-ct-plan="pro" → {plan: "pro"}); undefined
 *  when it has no data-ct attribute at all. */
export function ctProps(el: Element): Props | undefined {
  let props: Props | undefined;
  for (const a of el.attributes) {
    if (/^data-ct(-|$)/.test(a.name)) {
      props ||= {};
      if (a.name.length > 8) props[a.name.slice(8)] = a.value;
    }
  }
  return props;
}

/** The element a click is about: the nearest link, button, submit/button input or element with
 *  data-ct attributes at or above where the click landed. */
export function clickable(el: Element | null): Element | undefined {
  for (; el; el = el.parentElement) {
    const t = el.tagName;
    if (t == "A" || t == "BUTTON" || buttonInput(el) || ctProps(el)) return el;
  }
  return undefined;
}
