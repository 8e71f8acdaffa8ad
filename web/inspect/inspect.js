// The /inspect page: shows the server-sent events of /inspect/stream as each message arrives.
'use strict';

const MAX_ROWS = 200;    // event rows in the DOM
const MAX_KEPT = 2000;   // events in memory, to refill the list on a filter change or resume
const WINDOW_MS = 60000; // span of the chart

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), accepted: $('accepted-total'), rejected: $('rejected-total'),
  chart: $('eps-chart'), epsNow: $('eps-now'), rejections: $('rejections').tBodies[0],
  type: $('filter-type'), site: $('filter-site'), pause: $('pause'), events: $('events'), empty: $('empty'),
};
const kept = [];        // newest last
const open = new Set(); // event_ids of expanded rows
let samples = [];       // {ts, eps}, oldest first
let paused = false;
let missed = 0;         // matching events that arrived while paused

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
const num = (n) => n.toLocaleString('en-US');
const parse = (text) => { try { return JSON.parse(text); } catch { return null; } };

function setStatus(state, text = state) {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function connect() {
  // The page's own query (?token=… when the inspector is behind http.admin_token) goes along.
  const source = new EventSource('/inspect/stream' + location.search);
  source.onopen = () => setStatus('live');
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) return setStatus('reconnecting', 'reconnecting…');
    // The browser gives up after a refused response; keep trying ourselves.
    setStatus('reconnecting', 'disconnected, retrying…');
    setTimeout(connect, 3000);
  };
  source.addEventListener('events', (m) => onEvents(parse(m.data)));
  source.addEventListener('stats', (m) => onStats(parse(m.data)));
}

function onStats(s) {
  if (!s || typeof s !== 'object') return;
  if (ui.status.dataset.state !== 'live') setStatus('live');
  const reasons = Object.entries(s.rejected_total || {}).filter(([, n]) => n > 0);
  const totals = [[ui.accepted, Number(s.accepted_total) || 0], [ui.rejected, reasons.reduce((a, [, n]) => a + n, 0)]];
  for (const [node, n] of totals) {
    node.dataset.value = n;
    node.textContent = num(n);
  }
  reasons.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const rows = reasons.map(([reason, n]) => rowOf([el('td', reason), el('td', num(n), 'num')]));
  if (!rows.length) rows.push(rowOf([el('td', 'none')], 'none', 2));
  ui.rejections.replaceChildren(...rows);

  const ts = Number(s.ts) || Date.now();
  const eps = Math.max(0, Number(s.events_per_s) || 0);
  samples.push({ ts, eps });
  samples = samples.filter((p) => p.ts > ts - WINDOW_MS && p.ts <= ts);
  ui.epsNow.textContent = '— ' + rate(eps) + ' now';
  drawChart();
}

function rowOf(cells, cls, span) {
  const tr = el('tr', null, cls);
  tr.append(...cells);
  if (span) cells[0].colSpan = span;
  return tr;
}

const rate = (x) => (x < 10 ? x.toFixed(1) : num(Math.round(x)));

function drawChart() {
  const c = ui.chart, dpr = devicePixelRatio || 1, w = c.clientWidth, h = c.clientHeight;
  if (!w || !h) return;
  c.width = Math.round(w * dpr);
  c.height = Math.round(h * dpr);
  const g = c.getContext('2d'), css = getComputedStyle(c), color = (v) => css.getPropertyValue(v).trim();
  g.scale(dpr, dpr);
  g.font = '11px ' + css.fontFamily;
  g.textAlign = 'right';
  g.textBaseline = 'middle';

  const peak = Math.max(0, ...samples.map((p) => p.eps));
  const step = 10 ** Math.floor(Math.log10(Math.max(peak, 1)));
  const top = [1, 2, 5, 10].find((m) => m * step >= peak) * step; // 1, 2 or 5 × 10ⁿ
  const left = 36, pw = w - left - 4, ph = h - 12;
  g.strokeStyle = color('--grid');
  g.fillStyle = color('--muted');
  for (const f of [0, 0.5, 1]) {
    const y = Math.round(8 + ph * (1 - f)) + 0.5;
    g.beginPath();
    g.moveTo(left, y);
    g.lineTo(w - 4, y);
    g.stroke();
    g.fillText(+(top * f).toFixed(1), left - 6, y);
  }
  const last = samples[samples.length - 1];
  if (!last) return;
  // A bar per stats message, placed by its ts, so a gap in the stream shows as a gap.
  g.fillStyle = color('--accent');
  const slot = pw / (WINDOW_MS / 1000);
  for (const p of samples) {
    const x = left + pw * (1 - (last.ts - p.ts) / WINDOW_MS) - slot, bh = (p.eps / top) * ph;
    g.fillRect(x + 1, 8 + ph - bh, Math.max(1, slot - 2), bh);
  }
  c.setAttribute('aria-label', `Events per second, last 60 seconds: now ${rate(last.eps)}, peak ${rate(peak)}`);
}

function onEvents(list) {
  if (!Array.isArray(list)) return;
  const fresh = [];
  for (const ev of list) {
    if (!ev || typeof ev !== 'object') continue;
    kept.push(ev);
    learn(ui.type, ev.type);
    learn(ui.site, ev.site);
    if (matches(ev)) fresh.push(ev);
  }
  if (kept.length > MAX_KEPT) kept.splice(0, kept.length - MAX_KEPT);
  if (!fresh.length) return;
  if (!paused) return prepend(fresh);
  missed += fresh.length;
  ui.pause.textContent = `Resume (${num(missed)} new)`;
}

// Adds a newly seen type or site to its filter; options stay sorted after "all".
function learn(select, value) {
  select.known ??= new Set();
  if (typeof value !== 'string' || !value || select.known.has(value)) return;
  select.known.add(value);
  const after = [...select.options].slice(1).find((o) => o.value > value);
  select.insertBefore(new Option(value, value), after || null);
}

const matches = (ev) => (!ui.type.value || ev.type === ui.type.value) && (!ui.site.value || ev.site === ui.site.value);

// Puts events (oldest first) at the top of the list, newest topmost, then trims the bottom.
function prepend(list) {
  const frag = document.createDocumentFragment();
  for (let i = list.length - 1; i >= Math.max(0, list.length - MAX_ROWS); i--) {
    const tr = row(list[i]);
    frag.append(tr);
    if (open.has(tr.dataset.eventId)) expand(tr, true);
  }
  ui.events.prepend(frag);
  const rows = ui.events.getElementsByClassName('event');
  while (rows.length > MAX_ROWS) {
    const tr = rows[rows.length - 1];
    tr.nextElementSibling?.remove(); // its detail row, if any
    open.delete(tr.dataset.eventId);
    tr.remove();
  }
  ui.empty.hidden = rows.length > 0;
}

function refill() {
  const list = [];
  for (let i = kept.length - 1; i >= 0 && list.length < MAX_ROWS; i--) if (matches(kept[i])) list.push(kept[i]);
  ui.events.replaceChildren();
  prepend(list.reverse());
  ui.empty.textContent = kept.length ? 'No events match the filters.' : 'Waiting for events…';
  if (paused) ui.pause.textContent = 'Resume';
  missed = 0;
}

function row(ev) {
  const tr = el('tr', null, 'event');
  tr.dataset.type = ev.type ?? '';
  tr.dataset.eventId = ev.event_id ?? '';
  tr.ev = ev; // shown as JSON when opened
  const toggle = el('button', time(ev.collector_ts), 'toggle');
  toggle.setAttribute('aria-expanded', 'false');
  if (Number.isFinite(ev.collector_ts)) toggle.title = new Date(ev.collector_ts).toString();
  const target = [ev.target_tag?.toLowerCase(), ev.target_text?.trim()].filter(Boolean).join(' · ');
  const anon = ev.anonymous_id || '';
  tr.append(el('td'), cell(ev.type, 'mono'), cell(ev.site), cell(ev.page_path || ev.page_url, '', ev.page_url),
    cell(target), cell(anon.slice(0, 8), 'mono', anon));
  tr.firstChild.append(toggle);
  return tr;
}

function cell(text, cls, title) {
  const td = el('td', text, cls);
  if (title || text) td.title = title || text;
  return td;
}

function time(ms) {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms), p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

// Shows or hides a row's fields as JSON; the detail row is built when first shown.
function expand(tr, on) {
  let detail = tr.nextElementSibling;
  if (!detail?.classList.contains('detail')) {
    if (!on) return;
    const props = typeof tr.ev.props === 'string' ? parse(tr.ev.props) : null; // props as compact JSON text
    detail = rowOf([el('td')], 'detail', 6);
    detail.firstChild.append(el('pre', JSON.stringify(props ? { ...tr.ev, props } : tr.ev, null, 2)));
    tr.after(detail);
  }
  detail.hidden = !on;
  tr.classList.toggle('open', on);
  tr.querySelector('.toggle').setAttribute('aria-expanded', on);
  if (on) open.add(tr.dataset.eventId); else open.delete(tr.dataset.eventId);
}

ui.events.addEventListener('click', (e) => {
  const tr = e.target.closest('tr.event');
  // A drag that selects text is not a click on the row.
  if (tr && (e.target.closest('button') || getSelection().isCollapsed)) expand(tr, !tr.classList.contains('open'));
});
ui.type.addEventListener('change', refill);
ui.site.addEventListener('change', refill);
ui.pause.addEventListener('click', () => {
  paused = !paused;
  ui.pause.setAttribute('aria-pressed', paused);
  ui.pause.textContent = paused ? 'Resume' : 'Pause';
  if (!paused && missed) refill();
  missed = 0;
});
new ResizeObserver(drawChart).observe(ui.chart);
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', drawChart);
drawChart();
connect();
