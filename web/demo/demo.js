// The demo's own behaviour (not the tracker): a single-page-app route, the demo buttons and a
// form that stays on the page. The tracker sees all of it without any code here.
const views = { home: "clicktrail demo", pricing: "Pricing — clicktrail demo" };

function show(view) {
  for (const section of document.querySelectorAll("[data-view]")) section.hidden = section.dataset.view !== view;
  document.title = views[view];
}

// Route links change the URL with history.pushState instead of loading a page.
document.addEventListener("click", (e) => {
  const link = e.target.closest("a[data-route]");
  if (!link) return;
  e.preventDefault();
  history.pushState({}, "", link.href);
  show(link.dataset.route);
});
addEventListener("popstate", () => show(new URLSearchParams(location.search).get("view") || "home"));
show(new URLSearchParams(location.search).get("view") || "home");

document.getElementById("signup").addEventListener("click", () => window.clicktrail?.track("signup_click", { plan: "pro" }));
document.getElementById("identify").addEventListener("click", () => window.clicktrail?.identify("user-42"));

// The tracker records the submit in the capture phase, before this handler keeps the page.
document.getElementById("newsletter").addEventListener("submit", (e) => {
  e.preventDefault();
  document.getElementById("thanks").hidden = false;
});
