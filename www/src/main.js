// The demo page: pick a dialect and a model, submit, and watch each task side by side —
// states, queue position, progress, the status requests it took against a fixed 500 ms loop,
// cancel, result. The package is imported exactly as a user's app imports it.
import { TaskClient, profiles, ready } from "tasklane";
import { DIALECTS, PROFILES, OUTCOMES, OUTPUTS } from "./dialects.js";
import { TaskCard, Lane } from "./task-card.js";
import { StressPanel } from "./stress.js";
import { h } from "./dom.js";

const $ = (id) => document.getElementById(id);

async function loadConfig() {
  let cfg = {};
  try {
    const res = await fetch("/config.json", { cache: "no-store" });
    if (res.ok) cfg = await res.json();
  } catch { /* served without the demo server: fall back to the defaults below */ }
  const q = new URLSearchParams(location.search);
  return {
    simUrl: (q.get("sim") ?? cfg.simUrl ?? "http://127.0.0.1:8787").replace(/\/$/, ""),
    apiKey: q.get("key") ?? cfg.apiKey ?? "sim-key",
    webhook: cfg.webhook ?? null,
  };
}

/** A row of radio buttons; returns a getter for the chosen value. */
function segmented(container, name, options, initial, onChange) {
  for (const [value, o] of Object.entries(options)) {
    const id = `${name}-${value}`;
    const input = h("input", { type: "radio", name, id, value });
    input.checked = value === initial;
    if (o.disabled) { input.disabled = true; }
    input.addEventListener("change", () => onChange?.(value));
    container.append(input, h("label", { for: id, title: o.title ?? "" }, o.label));
  }
  return () => container.querySelector("input:checked")?.value ?? initial;
}

async function main() {
  const cfg = await loadConfig();
  await ready; // already resolved in the browser entry; kept for runtimes that load lazily

  const simLabel = $("sim-label");
  const simStatus = $("sim-status");
  const simOk = await fetch(`${cfg.simUrl}/__sim/stats?summary=1`).then((r) => r.ok, () => false);
  simStatus.dataset.state = simOk ? "up" : "down";
  simLabel.textContent = simOk ? `simulator ${new URL(cfg.simUrl).host}` : `simulator not reachable at ${cfg.simUrl}`;

  const webhookDialects = new Set((cfg.webhook?.dialects ?? []).filter((d) => DIALECTS[d]?.webhook));

  const showProfile = (d) => {
    $("profile-name").textContent = d;
    try { $("profile-json").textContent = JSON.stringify(profiles?.[d], null, 2) ?? "(not exported)"; }
    catch (e) { $("profile-json").textContent = `(cannot show: ${e.message})`; }
  };
  const updateModeHint = () => {
    const d = dialect(), m = mode();
    $("mode-hint").textContent = !cfg.webhook
      ? "webhook mode needs createWebhookHandler in the package and the demo server"
      : m === "webhook" && !webhookDialects.has(d)
        ? `${d} sends no webhooks: its tasks are polled`
        : m === "webhook" ? "the simulator POSTs to this demo server; polling stays on as a safety net" : "";
  };

  const dialect = segmented($("dialects"), "dialect",
    Object.fromEntries(Object.entries(DIALECTS).map(([k, d]) => [k, { label: d.label, title: d.about }])),
    "apixo", (d) => { showProfile(d); updateModeHint(); });
  const profile = segmented($("profiles"), "profile",
    Object.fromEntries(Object.entries(PROFILES).map(([k, p]) => [k, { label: p.label, title: p.about }])), "short");
  const outcome = segmented($("outcomes"), "outcome",
    Object.fromEntries(Object.entries(OUTCOMES).map(([k, o]) => [k, { label: o.label }])), "succeeded");
  const output = segmented($("outputs"), "output",
    Object.fromEntries(Object.keys(OUTPUTS).map((k) => [k, { label: k }])), "image");
  const mode = segmented($("modes"), "mode", {
    poll: { label: "polling", title: "wait(): backoff on the runtime's timers" },
    webhook: cfg.webhook
      ? { label: "webhook", title: "the simulator delivers to this server's createWebhookHandler; polling as safety net" }
      : { label: "webhook", disabled: true, title: "not available: the package has no createWebhookHandler yet" },
  }, "poll", updateModeHint);
  showProfile(dialect());
  updateModeHint();

  const makeClient = (d, fetch) => new TaskClient({ provider: d, baseUrl: `${cfg.simUrl}/${d}`, apiKey: cfg.apiKey, fetch });

  // Tasks: one shared client ("lane") per dialect and mode.
  const lanes = new Map();
  const lane = (d, m) => {
    const key = `${d}:${m}`;
    if (!lanes.has(key)) lanes.set(key, new Lane(d, (fetch) => makeClient(d, fetch)));
    return lanes.get(key);
  };
  const all = [];
  const grid = $("tasks");
  const summary = () => {
    const live = all.filter((c) => !c.terminal).length;
    $("task-summary").textContent = all.length === 0 ? "No tasks yet. Pick a dialect and submit."
      : `${live} live · ${all.length - live} finished`;
    $("clear-btn").hidden = all.length === live;
  };
  // Durations of finished tasks per model: the progress bar's fallback when no etaMs comes.
  const durations = new Map();
  const learned = (model) => {
    const l = durations.get(model);
    return l?.length ? { ms: l.reduce((a, b) => a + b, 0) / l.length, n: l.length } : null;
  };
  const onEnd = (card) => {
    if (card.state === "succeeded") {
      const l = durations.get(card.profile.model) ?? [];
      l.push(card.elapsed);
      durations.set(card.profile.model, l.slice(-20));
    }
    summary();
  };
  const addCard = (d) => {
    const m = mode() === "webhook" && webhookDialects.has(d) ? "webhook" : "poll";
    const sim = { ...PROFILES[profile()].sim, output: output() };
    if (OUTCOMES[outcome()].sim) sim.outcome = OUTCOMES[outcome()].sim;
    const card = new TaskCard({
      dialect: d, dialectInfo: DIALECTS[d], profile: PROFILES[profile()], prompt: $("prompt").value.trim() || "untitled",
      sim, mode: m,
      webhook: m === "webhook" ? { url: `${cfg.webhook.base}/${d}`, authToken: cfg.webhook.authToken } : null,
      lane: lane(d, m), simUrl: cfg.simUrl,
      onEnd, learned,
    });
    all.push(card);
    grid.prepend(card.el);
    card.render();
    summary();
    card.run().then(summary);
    return card;
  };
  $("submit-form").addEventListener("submit", (ev) => { ev.preventDefault(); addCard(dialect()); });
  $("submit-all-btn").addEventListener("click", () => { for (const d of Object.keys(DIALECTS)) addCard(d); });
  $("clear-btn").addEventListener("click", () => {
    for (let i = all.length - 1; i >= 0; i--) {
      const c = all[i];
      if (!c.terminal) continue;
      c.el.remove(); c.lane.byId.delete(c.id); all.splice(i, 1);
    }
    summary();
  });
  setInterval(() => { for (const c of all) if (!c.terminal) c.tick(); }, 100);

  // Webhook deliveries, relayed by the demo server.
  if (cfg.webhook) {
    const es = new EventSource("/events");
    es.onmessage = (ev) => {
      const { update } = JSON.parse(ev.data);
      for (const l of lanes.values()) l.byId.get(update?.id)?.delivered(update);
    };
  }

  // Stress.
  for (const [k, d] of Object.entries(DIALECTS)) $("stress-dialect").append(h("option", { value: k }, d.label));
  for (const [k, p] of Object.entries(PROFILES)) $("stress-profile").append(h("option", { value: k }, `${p.label} (${p.about.split(",")[0]})`));
  $("stress-dialect").value = "apixo";
  $("stress-profile").value = "long";
  const stress = new StressPanel({
    els: {
      panel: $("stress"), done: $("m-done"), rps: $("m-rps"), peak: $("m-peak"), status: $("m-status"),
      submits: $("m-submits"), fixed: $("m-fixed"), ratio: $("m-ratio"), ratioSub: $("m-ratio-sub"),
      chart: $("stress-chart"), note: $("stress-note"),
    },
    makeClient: (d, fetch) => makeClient(d, fetch),
    simUrl: cfg.simUrl, dialects: DIALECTS, profiles: PROFILES,
  });
  $("stress-btn").addEventListener("click", async () => {
    $("stress-btn").disabled = true;
    $("stress-btn").textContent = "Running…";
    delete $("stress").dataset.finished;
    const s = await stress.start($("stress-dialect").value, $("stress-profile").value);
    $("stress").dataset.finished = "1";
    $("stress").dataset.summary = JSON.stringify(s);
    $("stress-btn").disabled = false;
    $("stress-btn").textContent = "Start 200 tasks";
  });

  for (const id of ["submit-btn", "submit-all-btn", "stress-btn"]) $(id).disabled = false;
  document.body.dataset.ready = "1";
  // For the tests and the curious: the page's objects.
  window.tasklaneDemo = { cfg, cards: all, stress };
}

main().catch((e) => {
  document.body.dataset.ready = "error";
  const box = h("div", { class: "fatal", role: "alert" }, h("strong", {}, "The demo could not start: "), String(e?.message ?? e));
  document.querySelector("main").prepend(box);
  // Reported, not thrown: a missing simulator is a setup problem the page explains itself.
  console.warn("tasklane demo:", e);
});
