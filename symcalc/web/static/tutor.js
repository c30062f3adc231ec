// symcalc tutor page. Everything a learner typed comes back from the API as JSON and is put into the page
// as text (textContent) or as LaTeX typeset by KaTeX (which builds DOM nodes and allows no raw HTML); no
// string is ever assigned to innerHTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const NS = "http://www.w3.org/2000/svg";
  let META = { hidden: { brief: [], standard: ["constant", "variable"], full: [] }, methods: ["gd"] };

  // -- small helpers --------------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function tex(latex, display) {
    const span = el("span", "math");
    try {
      katex.render(latex, span, { throwOnError: false, displayMode: !!display, trust: false, strict: "ignore" });
    } catch (err) {
      span.textContent = latex;
    }
    return span;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  async function api(path, body) {
    const options = body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    };
    const response = await fetch(path, options);
    let data;
    try {
      data = await response.json();
    } catch (err) {
      data = { error: "the server sent no answer (" + response.status + ")" };
    }
    return { ok: response.ok, status: response.status, data: data };
  }

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // A parse error: the message, then the input with a caret under the place.
  function showParseError(box, data) {
    if (!data || data.error === undefined) {
      box.hidden = true;
      box.textContent = "";
      return;
    }
    let text = data.error;
    if (data.source !== undefined && data.source !== null && data.position !== undefined && data.position !== null) {
      const line = String(data.source).replace(/\n/g, " ");
      const pos = Math.max(0, Math.min(data.position, line.length));
      text += " (at position " + pos + ")\n" + line + "\n" + " ".repeat(pos) + "^";
    }
    box.textContent = text;
    box.hidden = false;
  }

  // Live preview: what symcalc read, typeset, or the parse error at its place.
  function livePreview(input, previewBox, errorBox, components) {
    let serial = 0;
    const update = debounce(async function () {
      const mine = ++serial;
      const text = input.value;
      if (!text.trim()) {
        clear(previewBox);
        showParseError(errorBox, null);
        return;
      }
      const r = await api("/api/parse", { expr: text, components: !!components() });
      if (mine !== serial) return; // a newer keystroke won
      clear(previewBox);
      if (r.ok) {
        showParseError(errorBox, null);
        if (r.data.latex) previewBox.appendChild(tex(r.data.latex, true));
      } else {
        showParseError(errorBox, r.data);
      }
    }, 200);
    input.addEventListener("input", update);
    return update;
  }

  // -- the worked solution, from the schema of docs/schema.md ----------------------------------------------

  function dOf(latexExpr, v, order) {
    const d = order > 1 ? "\\frac{d^{" + order + "}}{d" + v + "^{" + order + "}}" : "\\frac{d}{d" + v + "}";
    return d + "\\left[" + latexExpr + "\\right]";
  }

  function pieceName(name) {
    const base = name.replace(/'+$/, "");
    const primes = name.slice(base.length);
    return (base.length === 1 ? base : "\\text{" + base + "}") + primes;
  }

  // The visible steps in reading order, each {depth, number, step}, as the text rendering chooses them.
  function visibleSteps(solution, detail) {
    const hidden = new Set(META.hidden[detail] || []);
    const out = [];
    function visible(step) {
      return detail === "full" || !hidden.has(step.rule);
    }
    function emit(step, depth, number) {
      if (step.rule === "higher_order") {
        out.push({ depth: depth, number: number, step: step, higher: true });
        step.substeps.forEach((child, i) => emit(child, depth + 1, number + (i + 1) + "."));
        return;
      }
      if (!visible(step) && depth > 0) return;
      out.push({ depth: depth, number: number, step: step });
      let k = 0;
      step.substeps.forEach((child) => {
        if (visible(child)) emit(child, depth + 1, number + (++k) + ".");
      });
    }
    const root = solution.steps;
    root.substeps.forEach((child, i) => {
      if (root.rule === "higher_order") emit(child, 0, "");
      else emit(child, 0, i + 1 + ".");
    });
    return out;
  }

  function stepItem(entry, detail, seen) {
    const s = entry.step;
    const li = el("li");
    li.style.marginLeft = entry.depth * 1.4 + "rem";
    li.dataset.rule = s.rule;
    const head = el("span", "step-head");
    head.appendChild(el("span", "number", entry.number + " "));
    if (entry.higher) {
      head.appendChild(el("span", "rule", "Derivative number " + entry.number.replace(/\.$/, "") + ": "));
      head.appendChild(el("span", "explanation", s.explanation));
      li.appendChild(head);
      return li;
    }
    head.appendChild(el("span", "rule", s.name));
    if (detail === "full" && s.kind === "derivative" && !seen.has(s.rule) && s.rule !== "sympy") {
      seen.add(s.rule);
      head.appendChild(el("span", "formula", " ("));
      head.appendChild(tex(s.formula.latex));
      head.appendChild(el("span", "formula", ")"));
    }
    head.appendChild(el("span", null, ": "));
    if (s.kind === "rewrite") {
      head.appendChild(tex(s.expr.latex + " = " + s.result.latex));
    } else if (s.kind === "solve") {
      head.appendChild(tex(s.result.latex));
    } else {
      head.appendChild(tex(dOf(s.expr.latex, s.var || "x", s.order || 1) + " = " + s.result.latex));
    }
    head.appendChild(el("span", "explanation", " " + s.explanation));
    li.appendChild(head);
    // brief: the rule with its bindings; standard: also the plug-in line; full: also the formula, every step
    const names = Object.keys(s.pieces || {}).filter((k) => k !== "outer'" && k !== "inner'");
    if (names.length && s.kind === "derivative") {
      const line = el("span", "step-detail", "with ");
      line.appendChild(tex(names.map((k) => pieceName(k) + " = " + s.pieces[k].latex).join(",\\ ")));
      li.appendChild(line);
    }
    if (detail !== "brief") {
      if (s.plug_in && s.plug_in.text !== s.result.text) {
        const line = el("span", "step-detail", "plug in: ");
        line.appendChild(tex(s.plug_in.latex));
        li.appendChild(line);
      }
    }
    return li;
  }

  function answerBlock(d) {
    const box = el("div");
    const answer = el("p", "answer");
    answer.appendChild(el("strong", null, "Answer: "));
    answer.appendChild(tex(dOf(d.expr.latex, d.var, d.order) + " = " + d.result.latex));
    box.appendChild(answer);
    const facts = el("dl", "facts");
    function fact(title, items) {
      if (!items || !items.length) return;
      facts.appendChild(el("dt", null, title));
      const dd = el("dd");
      items.forEach((item, i) => {
        if (i) dd.appendChild(el("span", null, ",  "));
        dd.appendChild(tex(item.latex));
      });
      facts.appendChild(dd);
    }
    fact("Holds where", d.conditions);
    fact("Equivalent forms", d.equivalent_forms);
    if (d.constants && d.constants.length) {
      facts.appendChild(el("dt", null, "Held constant"));
      facts.appendChild(el("dd", null, d.constants.join(", ")));
    }
    if (d.kinks && d.kinks.length) {
      facts.appendChild(el("dt", null, "Kinks"));
      d.kinks.forEach((k) => {
        const dd = el("dd", null, "at " + k.point.text + ": from the left " + k.left.text + ", from the right " + k.right.text);
        facts.appendChild(dd);
      });
    }
    if (d.check) {
      const where = Object.keys(d.check.point).map((k) => k + " = " + d.check.point[k]).join(", ");
      facts.appendChild(el("dt", null, "Check"));
      facts.appendChild(
        el("dd", "check-line",
          "at " + where + " the answer gives " + fmt(d.check.answer) + " and a central difference of f (h = " +
          d.check.h + ") gives " + fmt(d.check.central_difference))
      );
    }
    box.appendChild(facts);
    return box;
  }

  function fmt(v) {
    if (v === null || v === undefined) return "undefined";
    return Number(v).toPrecision(10).replace(/\.?0+$/, "");
  }

  // Render the whole solution, or only its first `shown` steps (for "reveal step by step").
  function renderSolution(d, detail, shown) {
    const box = $("solution");
    clear(box);
    box.appendChild(el("h3", null, "Worked solution"));
    const intro = el("p");
    intro.appendChild(el("span", null, "Find "));
    intro.appendChild(tex(dOf(d.expr.latex, d.var, d.order)));
    box.appendChild(intro);
    const entries = visibleSteps(d, detail);
    const list = el("ol", "steps");
    list.setAttribute("role", "list");
    const seen = new Set();
    const limit = shown === undefined ? entries.length : Math.min(shown, entries.length);
    for (let i = 0; i < limit; i++) list.appendChild(stepItem(entries[i], detail, seen));
    box.appendChild(list);
    if (limit >= entries.length) box.appendChild(answerBlock(d));
    else box.appendChild(el("p", "status", (entries.length - limit) + " more step(s) to reveal"));
    return entries.length;
  }

  // -- differentiate --------------------------------------------------------------------------------------

  const state = { solution: null, key: "", shown: 0, hintLevel: 0, ladder: null };

  function request() {
    const body = { expr: $("expr").value, detail: $("detail").value };
    if ($("var").value.trim()) body.var = $("var").value.trim();
    return body;
  }

  async function fetchSolution() {
    const body = request();
    const key = JSON.stringify([body.expr, body.var || ""]);
    if (state.solution && state.key === key) return state.solution;
    $("status").textContent = "Working...";
    const r = await api("/api/derivative", body);
    if (!r.ok) {
      $("status").textContent = "";
      clear($("solution"));
      const box = el("pre", "error");
      box.textContent = r.data.error + (r.data.position !== undefined && r.data.source ?
        " (at position " + r.data.position + ")\n" + r.data.source + "\n" + " ".repeat(r.data.position) + "^" : "");
      $("solution").appendChild(box);
      return null;
    }
    $("status").textContent = "";
    state.solution = r.data;
    state.key = key;
    return r.data;
  }

  async function solve() {
    const d = await fetchSolution();
    if (!d) return;
    state.shown = Infinity;
    renderSolution(d, $("detail").value);
  }

  function resetTry() {
    state.shown = 0;
    state.hintLevel = 0;
    state.ladder = null;
    clear($("verdict"));
    clear($("hints"));
    $("hint").disabled = false;
    $("reveal").disabled = false;
  }

  function tryIt() {
    $("tryit").hidden = false;
    clear($("solution"));
    resetTry();
    $("answer").focus();
  }

  function exerciseSpec() {
    const spec = { task: "derivative", expr: $("expr").value };
    if ($("var").value.trim()) spec.vars = [$("var").value.trim()];
    return spec;
  }

  function showVerdict(box, v) {
    clear(box);
    const head = el("p");
    head.appendChild(el("span", v.ok ? "ok" : "wrong", v.ok ? "Right. " : "Not yet. "));
    head.appendChild(el("span", null, v.message || ""));
    box.appendChild(head);
    if (v.error) box.appendChild(el("pre", "error", v.error));
    (v.mistakes || []).forEach((m, i) => {
      const p = el("p", "mistake");
      p.appendChild(el("span", null, "Mistake "));
      p.appendChild(el("span", "mistake-id", m));
      p.appendChild(el("span", null, ": " + v.explanations[i]));
      box.appendChild(p);
    });
    (v.details || []).forEach((d) => box.appendChild(el("p", "detail", d)));
    if (v.hints && v.hints.length) {
      const p = el("p", "first-hint");
      p.appendChild(el("strong", null, "Hint: "));
      p.appendChild(el("span", null, v.hints[0]));
      box.appendChild(p);
    }
  }

  async function checkAnswer() {
    const r = await api("/api/check", { exercise: exerciseSpec(), answer: $("answer").value });
    if (!r.ok) {
      showVerdict($("verdict"), { ok: false, message: "Your answer could not be checked.", error: r.data.error });
      return;
    }
    showVerdict($("verdict"), r.data);
    state.ladder = r.data.hints && r.data.hints.length ? { hints: r.data.hints, next: 1 } : null;
    clear($("hints"));
    $("hint").disabled = false;
  }

  // After a wrong answer the hints are about its mistake (the verdict showed the first); else ask the server.
  async function hintAfter(ladder, spec, level, list, button) {
    if (ladder && ladder.next < ladder.hints.length) {
      list.appendChild(el("li", null, ladder.hints[ladder.next++]));
      if (ladder.next >= ladder.hints.length) button.disabled = true;
      return level + 1;
    }
    return nextHint(spec, level, list, button);
  }

  async function nextHint(spec, level, list, button) {
    const r = await api("/api/hint", Object.assign({}, spec, { level: level }));
    if (!r.ok) {
      list.appendChild(el("li", "error", r.data.error));
      return level;
    }
    list.appendChild(el("li", null, r.data.hint));
    if (r.data.last) button.disabled = true;
    return level + 1;
  }

  async function reveal() {
    const d = await fetchSolution();
    if (!d) return;
    state.shown = (state.shown === Infinity ? 0 : state.shown) + 1;
    const total = renderSolution(d, $("detail").value, state.shown);
    if (state.shown >= total) $("reveal").disabled = true;
  }

  // -- practice -------------------------------------------------------------------------------------------

  const practice = { sets: [], set: null, index: 0, hintLevel: 0, ladder: null, progress: loadProgress() };

  function loadProgress() {
    try {
      return JSON.parse(sessionStorage.getItem("symcalc-progress") || "{}");
    } catch (err) {
      return {};
    }
  }

  function saveProgress() {
    try {
      sessionStorage.setItem("symcalc-progress", JSON.stringify(practice.progress));
    } catch (err) {
      /* private mode: progress lives as long as the page */
    }
  }

  function record(id) {
    const name = practice.set.name;
    practice.progress[name] = practice.progress[name] || {};
    practice.progress[name][id] = practice.progress[name][id] || { attempts: 0, right: false, hints_used: 0 };
    return practice.progress[name][id];
  }

  function progressReport() {
    const s = practice.set;
    const mine = practice.progress[s.name] || {};
    const rows = s.exercises.map((e) => {
      const r = mine[e.id] || { attempts: 0, right: false, hints_used: 0 };
      return { id: e.id, task: e.task, attempts: r.attempts, tried: r.attempts > 0, right: r.right, hints_used: r.hints_used };
    });
    return {
      set: s.name,
      total: rows.length,
      tried: rows.filter((r) => r.tried).length,
      right: rows.filter((r) => r.right).length,
      hints_used: rows.reduce((a, r) => a + r.hints_used, 0),
      exercises: rows,
    };
  }

  function showProgress() {
    const p = progressReport();
    $("progress").textContent = "exercise " + (practice.index + 1) + " of " + p.total + ": " + p.right + " right, " +
      p.tried + " tried, " + p.hints_used + " hints used";
  }

  function showExercise() {
    const e = practice.set.exercises[practice.index];
    $("exercise-title").textContent = e.title;
    clear($("exercise-prompt"));
    $("exercise-prompt").appendChild(tex(e.prompt_latex, true));
    $("exercise-text").textContent = e.prompt;
    $("ex-answer").value = "";
    clear($("ex-preview"));
    clear($("ex-verdict"));
    clear($("ex-hints"));
    showParseError($("ex-error"), null);
    practice.hintLevel = record(e.id).hints_used;
    practice.ladder = null;
    $("ex-hint").disabled = false;
    showProgress();
  }

  function chooseSet() {
    practice.set = practice.sets.find((s) => s.name === $("set").value) || practice.sets[0];
    practice.index = 0;
    showExercise();
  }

  function currentExercise() {
    return practice.set.exercises[practice.index];
  }

  async function checkExercise() {
    const e = currentExercise();
    const r = await api("/api/check", { set: practice.set.name, id: e.id, answer: $("ex-answer").value });
    if (!r.ok) {
      showVerdict($("ex-verdict"), { ok: false, message: "Your answer could not be checked.", error: r.data.error });
      return;
    }
    if ($("ex-answer").value.trim() && !r.data.error) {
      const rec = record(e.id);
      rec.attempts += 1;
      rec.right = rec.right || r.data.ok;
      saveProgress();
    }
    showVerdict($("ex-verdict"), r.data);
    practice.ladder = r.data.hints && r.data.hints.length ? { hints: r.data.hints, next: 1 } : null;
    clear($("ex-hints"));
    $("ex-hint").disabled = false;
    showProgress();
  }

  async function exerciseHint() {
    const e = currentExercise();
    const rec = record(e.id);
    const level = await hintAfter(practice.ladder, { set: practice.set.name, id: e.id }, practice.hintLevel,
      $("ex-hints"), $("ex-hint"));
    if (level > practice.hintLevel) {
      practice.hintLevel = level;
      rec.hints_used = Math.max(rec.hints_used, level);
      saveProgress();
    }
    showProgress();
  }

  function nextExercise() {
    practice.index = (practice.index + 1) % practice.set.exercises.length;
    showExercise();
  }

  function exportProgress() {
    const blob = new Blob([JSON.stringify(progressReport(), null, 2) + "\n"], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "symcalc-progress-" + practice.set.name + ".json";
    document.body.appendChild(link);
    link.click();
    setTimeout(() => {
      URL.revokeObjectURL(link.href);
      link.remove();
    }, 0);
  }

  // -- gradient descent: contours by marching squares, the path, the loss curve ----------------------------

  function svg(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach((k) => node.setAttribute(k, String(attrs[k])));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  const PALETTE = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function colour(t) {
    const x = Math.max(0, Math.min(1, t)) * (PALETTE.length - 1);
    const i = Math.min(Math.floor(x), PALETTE.length - 2);
    const f = x - i;
    const c = PALETTE[i].map((v, k) => Math.round(v + f * (PALETTE[i + 1][k] - v)));
    return "rgb(" + c.join(",") + ")";
  }

  function tickText(v) {
    return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(+v.toFixed(3));
  }

  function frame(root, W, H, pad, xr, yr, xlabel, ylabel, ylog) {
    root.appendChild(svg("rect", { x: pad, y: 10, width: W - pad - 10, height: H - pad - 10, class: "axis" }));
    [[xr[0], pad, H - pad + 16], [xr[1], W - 10, H - pad + 16]].forEach((t, i) =>
      root.appendChild(svg("text", { x: t[1], y: t[2], class: "tick", "text-anchor": i ? "end" : "start" }, tickText(t[0]))));
    [[yr[0], H - pad], [yr[1], 20]].forEach((t) =>
      root.appendChild(svg("text", { x: pad - 4, y: t[1], class: "tick", "text-anchor": "end" },
        ylog ? "1e" + Math.round(t[0]) : tickText(t[0]))));
    root.appendChild(svg("text", { x: (W + pad) / 2, y: H - 6, class: "tick", "text-anchor": "middle" }, xlabel));
    root.appendChild(svg("text", { x: 12, y: (H - pad) / 2, class: "tick", "text-anchor": "middle",
      transform: "rotate(-90 12 " + (H - pad) / 2 + ")" }, ylabel));
  }

  function drawContour(box, result) {
    clear(box);
    const W = 480, H = 400, pad = 44;
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "contour plot with the descent path" });
    const g = result.grid;
    if (!g) {
      box.appendChild(el("p", "status", "nothing to draw: the run left the finite numbers at once"));
      return;
    }
    const xs = g.x, ys = g.y, z = g.z;
    const X = (v) => pad + (v - xs[0]) / (xs[xs.length - 1] - xs[0]) * (W - pad - 10);
    const Y = (v) => H - pad - (v - ys[0]) / (ys[ys.length - 1] - ys[0]) * (H - pad - 20);
    const clip = svg("clipPath", { id: "plot-area" });
    clip.appendChild(svg("rect", { x: pad, y: 10, width: W - pad - 10, height: H - pad - 10 }));
    root.appendChild(clip);
    const layer = svg("g", { "clip-path": "url(#plot-area)" });
    g.levels.forEach((level, li) => {
      let d = "";
      for (let r = 0; r < ys.length - 1; r++) {
        for (let c = 0; c < xs.length - 1; c++) {
          const v = [z[r][c], z[r][c + 1], z[r + 1][c + 1], z[r + 1][c]];
          if (v.some((a) => a === null)) continue;
          const corners = [[xs[c], ys[r]], [xs[c + 1], ys[r]], [xs[c + 1], ys[r + 1]], [xs[c], ys[r + 1]]];
          const pts = [];
          for (let k = 0; k < 4; k++) {
            const a = v[k], b = v[(k + 1) % 4];
            if ((a < level) !== (b < level)) {
              const t = (level - a) / (b - a);
              const p = corners[k], q = corners[(k + 1) % 4];
              pts.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
            }
          }
          for (let k = 0; k + 1 < pts.length; k += 2) {
            d += "M" + X(pts[k][0]).toFixed(1) + " " + Y(pts[k][1]).toFixed(1) +
              "L" + X(pts[k + 1][0]).toFixed(1) + " " + Y(pts[k + 1][1]).toFixed(1);
          }
        }
      }
      if (d) layer.appendChild(svg("path", { d: d, class: "contour", stroke: colour(li / Math.max(1, g.levels.length - 1)) }));
    });
    if (result.path.length) {
      const d = result.path.map((p, i) => (i ? "L" : "M") + X(p[0]).toFixed(1) + " " + Y(p[1]).toFixed(1)).join("");
      layer.appendChild(svg("path", { d: d, class: "descent-path" }));
      const first = result.path[0], last = result.path[result.path.length - 1];
      layer.appendChild(svg("circle", { cx: X(first[0]), cy: Y(first[1]), r: 5, fill: "#fff", stroke: "#d62728", "stroke-width": 2 }));
      layer.appendChild(svg("circle", { cx: X(last[0]), cy: Y(last[1]), r: 5, fill: "#d62728", class: "path-end" }));
    }
    root.appendChild(layer);
    frame(root, W, H, pad, [xs[0], xs[xs.length - 1]], [ys[0], ys[ys.length - 1]], result.variables[0], result.variables[1], false);
    box.appendChild(root);
  }

  function drawLoss(box, result) {
    clear(box);
    const W = 480, H = 400, pad = 44;
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "loss curve" });
    const values = result.loss;
    const shift = Math.min(0, Math.min.apply(null, values));
    const logs = values.map((v) => Math.log10(Math.max(v - shift, 1e-300)));
    let lo = Math.min.apply(null, logs), hi = Math.max.apply(null, logs);
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    const n = Math.max(1, values.length - 1);
    const X = (i) => pad + (i / n) * (W - pad - 10);
    const Y = (v) => H - pad - (v - lo) / (hi - lo) * (H - pad - 20);
    const d = logs.map((v, i) => (i ? "L" : "M") + X(i).toFixed(1) + " " + Y(v).toFixed(1)).join("");
    root.appendChild(svg("path", { d: d, class: "loss-line" }));
    frame(root, W, H, pad, [0, result.nit], [lo, hi], "iteration", "f (log scale)", true);
    box.appendChild(root);
  }

  async function runDescent() {
    const lrText = $("d-lr").value.trim();
    const body = {
      expr: $("d-expr").value,
      x0: $("d-x0").value,
      method: $("d-method").value,
      max_iter: parseInt($("d-iter").value, 10) || 1000,
    };
    if (lrText) {
      const lr = Number(lrText);
      if (!(lr > 0)) {
        $("d-message").textContent = "The learning rate must be a positive number (or empty for the suggested one).";
        return;
      }
      body.lr = lr;
    }
    $("d-message").textContent = "Running...";
    const r = await api("/api/descent", body);
    if (!r.ok) {
      $("d-message").textContent = "";
      clear($("d-contour"));
      clear($("d-loss"));
      const box = el("pre", "error");
      box.textContent = r.data.error + (r.data.position !== undefined && r.data.source ?
        " (at position " + r.data.position + ")\n" + r.data.source + "\n" + " ".repeat(r.data.position) + "^" : "");
      $("d-contour").appendChild(box);
      return;
    }
    const res = r.data;
    const end = res.x.map((v) => (v === null ? "overflow" : tickText(v))).join(", ");
    $("d-message").textContent = res.method + ": " + res.nit + " iterations, ended at (" + end + "), f = " +
      (res.fun === null ? "overflow" : res.fun.toPrecision(6)) + ". " + res.message;
    drawContour($("d-contour"), res);
    drawLoss($("d-loss"), res);
  }

  // -- wiring ---------------------------------------------------------------------------------------------

  async function start() {
    const meta = await api("/api/meta");
    if (meta.ok) META = meta.data;
    META.methods.forEach((m) => $("d-method").appendChild(new Option(m, m, m === "adam", m === "adam")));

    const refreshPreview = livePreview($("expr"), $("preview"), $("parse-error"), () => false);
    livePreview($("answer"), $("answer-preview"), $("answer-error"), () => false);
    livePreview($("ex-answer"), $("ex-preview"), $("ex-error"), () => practice.set && currentExercise().components);
    refreshPreview();

    $("solve").addEventListener("click", solve);
    $("try").addEventListener("click", tryIt);
    $("check").addEventListener("click", checkAnswer);
    $("answer").addEventListener("keydown", (e) => { if (e.key === "Enter") checkAnswer(); });
    $("expr").addEventListener("keydown", (e) => { if (e.key === "Enter") solve(); });
    $("expr").addEventListener("input", () => { state.solution = null; resetTry(); });
    $("var").addEventListener("input", () => { state.solution = null; });
    $("detail").addEventListener("change", () => {
      if (state.solution) renderSolution(state.solution, $("detail").value, state.shown);
    });
    $("hint").addEventListener("click", async () => {
      state.hintLevel = await hintAfter(state.ladder, { exercise: exerciseSpec() }, state.hintLevel, $("hints"), $("hint"));
    });
    $("reveal").addEventListener("click", reveal);

    const sets = await api("/api/sets");
    if (sets.ok) {
      practice.sets = sets.data.sets;
      practice.sets.forEach((s) => $("set").appendChild(new Option(s.title || s.name, s.name)));
      chooseSet();
    }
    $("set").addEventListener("change", chooseSet);
    $("ex-check").addEventListener("click", checkExercise);
    $("ex-answer").addEventListener("keydown", (e) => { if (e.key === "Enter") checkExercise(); });
    $("ex-hint").addEventListener("click", exerciseHint);
    $("ex-next").addEventListener("click", nextExercise);
    $("export").addEventListener("click", exportProgress);
    $("d-run").addEventListener("click", runDescent);
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", start);
})();
