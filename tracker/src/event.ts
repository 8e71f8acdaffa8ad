// The event the tracker sends: the tracker-set fields of docs/event-schema.md. Fields without a
// value (undefined or "") are left out.

export type Props = Record<string, unknown>;

export interface TrackedEvent {
  event_id: string;
  type: string;
  client_ts: number;
  [field: string]: unknown;
}

/** What the tracker says about the element a click or submit happened on. */
export interface Target {
  target_tag: string;
  target_id?: string;
  target_classes?: string;
  target_text?: string;
  target_href?: string;
  target_selector: string;
  x?: number;
  y?: number;
}
