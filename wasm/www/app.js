// The demo page: loads the WebAssembly module (built by scripts/wasm-demo.sh into pkg/), the
// two models and the word list, then answers the two forms. Everything runs in this page.
import init, { Embedder, Tagger, tokenize } from "./pkg/sublex_wasm.js";

const NEIGHBOURS = 10;
// performance.now() is coarsened (to 5-100 µs, by browser and isolation), far coarser than
// one call: a figure is the median over ROUNDS loops of calls, each at least ROUND_MS long
// (`sublex bench` times native calls the same way).
const ROUNDS = 5;
const ROUND_MS = 20;

const $ = (id) => document.getElementById(id);

// A module cannot detect features from inside, so the page does: it validates a tiny
// module that uses each extension (an i8x16.splat; a relaxed swizzle) and loads the best
// build the browser accepts (scripts/wasm-builds.sh). `?build=NAME` forces one.
const PROBES = {
  relaxed: [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0,
    65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11],
  simd128: [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65,
    0, 253, 15, 11],
};

function chooseBuild() {
  const forced = new URLSearchParams(location.search).get("build");
  if (forced) return forced;
  const best = Object.keys(PROBES).find((b) => WebAssembly.validate(new Uint8Array(PROBES[b])));
  return best ?? "scalar";
}

async function bytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Microseconds per call of `f`: the median of ROUNDS loops' means, after a warm-up as
 * long as the loops (the engine compiles hot code again, optimised, while it runs). */
function perCall(f) {
  const loop = () => {
    const start = performance.now();
    let calls = 0;
    let now = start;
    do {
      f();
      calls += 1;
      now = performance.now();
    } while (now - start < ROUND_MS || calls < 10);
    return { us: ((now - start) * 1000) / calls, calls };
  };
  for (let i = 0; i < ROUNDS; i++) loop();
  const rounds = Array.from({ length: ROUNDS }, loop).sort((a, b) => a.us - b.us);
  const calls = rounds.reduce((n, r) => n + r.calls, 0);
  return { us: rounds[ROUNDS >> 1].us, calls };
}

function showTiming(element, query, what, timing) {
  element.dataset.query = query;
  element.dataset.us = timing.us.toFixed(3);
  element.textContent = `${what}: ${timing.us.toFixed(1)} µs per call ` +
    `(median of ${ROUNDS} loops, ${timing.calls.toLocaleString("en")} calls)`;
}

function fact(term, text, data) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = text;
  Object.assign(dd.dataset, data);
  $("facts").append(dt, dd);
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB (${n.toLocaleString("en")} bytes)`;

async function load() {
  const build = chooseBuild();
  const [module, embedderBytes, taggerBytes, list] = await Promise.all([
    bytes(`pkg/sublex_wasm_${build}.wasm`),
    bytes("models/embedder.onnx"),
    bytes("models/tagger.onnx"),
    fetch("words.txt").then((r) => r.text()),
  ]);
  await init({ module_or_path: module });
  const embedder = Embedder.fromBytes(embedderBytes);
  const tagger = Tagger.fromBytes(taggerBytes);
  const words = list.split("\n").filter((w) => w.length > 0);
  const start = performance.now();
  const among = embedder.neighbors(words);
  const ms = performance.now() - start;

  fact("module", `${kb(module.length)}, the ${build} build: ${embedder.backend()}`,
    { bytes: module.length, build, backend: embedder.backend() });
  const stored = embedder.storedRows();
  fact("embedder", `${kb(embedderBytes.length)}, ${embedder.dim()} dimensions` +
    (stored ? `, ${stored.toLocaleString("en")} stored rows` : ""), { bytes: embedderBytes.length });
  fact("tagger", `${kb(taggerBytes.length)}, ${tagger.tags().length} tags`,
    { bytes: taggerBytes.length });
  fact("word list", `${words.length.toLocaleString("en")} words, embedded in ${ms.toFixed(0)} ms`,
    { words: words.length });
  $("candidates").textContent = `${words.length.toLocaleString("en")} words of the shipped list`;
  return { embedder, tagger, among };
}

function neighbours({ embedder, among }) {
  const word = $("word").value.trim();
  const found = embedder.nearest(among, word, NEIGHBOURS);
  const items = found.words.map((w, i) => {
    const li = document.createElement("li");
    li.dataset.word = w;
    li.dataset.cosine = found.cosines[i];
    const cosine = document.createElement("span");
    cosine.className = "cosine";
    cosine.textContent = found.cosines[i].toFixed(3);
    li.append(w, cosine);
    return li;
  });
  found.free();
  $("neighbours").replaceChildren(...items);
  showTiming($("word-time"), word, `embedding “${word}”`, perCall(() => embedder.embed([word])));
}

function tags({ tagger }) {
  // Raw text, cut into words as the tagger's treebank cuts it (`can't` -> `ca` `n't`).
  const text = $("sentence").value;
  const tokens = tokenize(text);
  const found = tagger.tag(tokens);
  const items = tokens.map((token, i) => {
    const span = document.createElement("span");
    span.className = "token";
    span.dataset.tag = found[i];
    const word = document.createElement("span");
    word.textContent = token;
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = found[i];
    span.append(word, tag);
    return span;
  });
  $("tags").replaceChildren(...items);
  const timing = perCall(() => tagger.tag(tokens));
  showTiming($("sentence-time"), text, `tagging ${tokens.length} tokens`, timing);
}

function answer(formId, handler, models) {
  const form = $(formId);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    try {
      handler(models);
    } catch (e) {
      fail(e);
    }
  });
  form.querySelectorAll("input, button").forEach((e) => { e.disabled = false; });
  handler(models);
}

function fail(e) {
  const status = $("status");
  status.className = "status error";
  status.dataset.state = "error";
  status.textContent = `Error: ${e.message ?? e}`;
}

try {
  const models = await load();
  answer("word-form", neighbours, models);
  answer("sentence-form", tags, models);
  $("status").dataset.state = "ready";
  $("status").textContent = "Ready: type a word or a sentence.";
} catch (e) {
  fail(e);
}
