// The anyactors observer page: renders each snapshot the server pushes (server-sent events).
"use strict";

const token = new URLSearchParams(location.search).get("token");
const collapsed = new Set();        // paths whose children are hidden
const openFailures = new Set();     // failure ids whose traceback is shown
let selected = null;                // the path chosen for "send"
let latest = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "indent") node.style.paddingLeft = value;  // CSSOM: allowed by the page's CSP
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function when(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString();
}

function renderFigures(snapshot) {
  const s = snapshot.system;
  const deadLetters = Object.values(snapshot.dead_letters).reduce((a, b) => a + b, 0);
  const figures = [
    ["actors alive", s.actors_alive], ["spawned", s.actors_spawned],
    ["stopped", s.actors_stopped], ["run queue", s.run_queue_length],
    ["turns", s.turns], ["suspended handlers", s.suspended_handlers],
    ["batch latency (ms)", (s.batch_latency_max * 1000).toFixed(2)],
    ["dead letters", deadLetters],
  ];
  document.getElementById("system-name").textContent = s.name;
  document.getElementById("figures").replaceChildren(
    ...figures.map(([label, value]) => el("div", {class: "figure"}, el("b", {}, String(value)), el("span", {}, label))));
}

async function act(action, path, extra = {}) {
  const response = await fetch(`/api/actors/${action}`, {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-Observer-Token": token},
    body: JSON.stringify({path, ...extra}),
  });
  const answer = await response.json();
  return response.ok ? answer : Promise.reject(new Error(answer.error));
}

function actionButtons(node) {
  if (!latest.actions || !token) return "";
  return el("span", {},
    el("button", {title: "stop this actor for good", onclick: (e) => { e.stopPropagation(); act("stop", node.path).catch(alert); }}, "stop"),
    el("button", {title: "make it fail, to watch its supervisor act", onclick: (e) => { e.stopPropagation(); act("fail", node.path).catch(alert); }}, "fail"));
}

function renderNode(node, depth, rows) {
  const hasChildren = node.children.length > 0;
  const isRoot = depth === 0;
  const toggle = hasChildren
    ? el("button", {class: "toggle", "aria-label": "collapse or expand", onclick: (e) => {
        e.stopPropagation();
        collapsed.has(node.path) ? collapsed.delete(node.path) : collapsed.add(node.path);
        render(latest);
      }}, collapsed.has(node.path) ? "▸" : "▾")
    : el("span", {class: "leaf"});
  const restarts = node.restarts_in_window ? `${node.restarts} (${node.restarts_in_window})` : String(node.restarts);
  const row = el("tr", {
      "data-path": node.path, class: node.path === selected ? "selected" : "",
      onclick: () => { selected = node.path; document.getElementById("send-path").value = node.path; render(latest); },
    },
    el("td", {class: "name", indent: `${0.4 + depth * 1.2}rem`, title: node.path}, toggle, node.name),
    el("td", {class: "class"}, node.class),
    el("td", {}, el("span", {class: `state ${node.state}`}, node.state),
       node.current_message ? el("span", {class: "class"}, ` ${node.current_message}`) : null),
    el("td", {class: node.mailbox > 100 ? "hot mailbox" : "mailbox"}, String(node.mailbox)),
    el("td", {class: "rate"}, String(node.rate)),
    el("td", {class: "handled"}, String(node.handled)),
    el("td", {class: node.failures ? "hot failures" : "failures"}, String(node.failures)),
    el("td", {class: node.restarts ? "hot restarts" : "restarts"}, restarts),
    el("td", {class: "actions-col"}, isRoot ? "" : actionButtons(node)));
  rows.push(row);
  if (!collapsed.has(node.path)) {
    for (const child of node.children) renderNode(child, depth + 1, rows);
  }
}

function renderFailures(snapshot) {
  document.getElementById("failure-count").textContent = snapshot.failures.length ? `(${snapshot.failures.length})` : "";
  const items = snapshot.failures.map((f) => {
    const details = el("details", {ontoggle: () => details.open ? openFailures.add(f.id) : openFailures.delete(f.id)},
      el("summary", {}, el("span", {class: "when"}, `${when(f.time)} `), el("b", {}, f.path), ` ${f.error}`,
         f.message_type ? el("span", {class: "when"}, ` while handling ${f.message_type}`) : null),
      el("pre", {}, f.traceback));
    details.open = openFailures.has(f.id);
    return el("li", {"data-path": f.path}, details);
  });
  document.getElementById("failures").replaceChildren(...(items.length ? items : [el("li", {class: "empty"}, "none yet")]));
}

function renderDeadLetters(snapshot) {
  const rows = Object.entries(snapshot.dead_letters).map(([kind, count]) =>
    el("tr", {"data-type": kind}, el("td", {class: "name"}, kind), el("td", {}, String(count))));
  document.querySelector("#dead-letters tbody").replaceChildren(
    ...(rows.length ? rows : [el("tr", {}, el("td", {class: "name empty"}, "none"))]));
  document.getElementById("recent-dead-letters").replaceChildren(...snapshot.recent_dead_letters.slice(0, 10).map((d) =>
    el("li", {}, el("span", {class: "when"}, `${when(d.time)} `), `${d.message} → ${d.recipient} `, el("span", {class: "when"}, `(${d.reason})`))));
}

function renderSendForm(snapshot) {
  const form = document.getElementById("send-form");
  form.hidden = !(snapshot.actions && token && snapshot.message_types.length);
  const select = document.getElementById("send-type");
  if (select.options.length !== snapshot.message_types.length) {
    select.replaceChildren(...snapshot.message_types.map((t) =>
      el("option", {value: t.name}, t.fields.length ? `${t.name}(${t.fields.join(", ")})` : t.name)));
  }
}

function render(snapshot) {
  latest = snapshot;
  renderFigures(snapshot);
  const rows = [];
  renderNode(snapshot.tree, 0, rows);
  document.querySelector("#tree tbody").replaceChildren(...rows);
  renderFailures(snapshot);
  renderDeadLetters(snapshot);
  renderSendForm(snapshot);
}

document.getElementById("send-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const output = document.getElementById("send-result");
  let fields;
  try { fields = JSON.parse(document.getElementById("send-fields").value || "{}"); }
  catch (error) { output.textContent = `fields: ${error.message}`; return; }
  act("send", document.getElementById("send-path").value, {type: document.getElementById("send-type").value, fields})
    .then((answer) => { output.textContent = `sent ${answer.sent}`; })
    .catch((error) => { output.textContent = error.message; });
});

function connect() {
  const status = document.getElementById("status");
  const source = new EventSource("/api/events");
  source.addEventListener("snapshot", (event) => {
    status.textContent = "live";
    status.className = "status live";
    render(JSON.parse(event.data));
  });
  source.onerror = () => {
    status.textContent = "reconnecting…";
    status.className = "status connecting";
  };
}

connect();
