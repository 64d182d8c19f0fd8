// The console in a real browser: Debian's chromium, headless, driven over
// the DevTools protocol by puppeteer-core. Screenshots go to $SLUICE_ARTEFACTS.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import puppeteer from "puppeteer-core";
import { artefacts, components, getJson, metric, startPipeline, waitFor } from "./pipeline.mjs";

let browser;

before(async () => {
  browser = await puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    userDataDir: fs.mkdtempSync(path.join(os.tmpdir(), "sluice-chromium-")),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
});

// A page on the console that records every error it logs or throws.
async function open(url, width, height) {
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("requestfailed", (request) => errors.push(`${request.url()}: ${request.failure()?.errorText}`));
  await page.setViewport({ width, height });
  await page.goto(url, { waitUntil: "load" });
  return { page, errors };
}

// What the page's charts hold: per component, the rates of each second.
const pageHistory = (page) => page.evaluate(() => ({
  time_ms: [...state.history.time_ms],
  comps: Object.fromEntries([...state.history.comps].map(([id, r]) => [id, { in: [...r.in], out: [...r.out] }])),
}));

test("the console shows the running pipeline, as /metrics counts it", async () => {
  const run = await startPipeline();
  try {
    const { page, errors } = await open(run.url, 1280, 900);

    // Every component is on the graph.
    const ids = await waitFor("every component on the graph", async () => {
      const found = await page.$$eval("#graph .node", (nodes) => nodes.map((n) => n.dataset.id).sort());
      return found.length === components.length ? found : null;
    });
    assert.deepEqual(ids, [...components].sort());

    // Records flow through to the CSV before rates are compared.
    await waitFor("records through to csv", async () => (await metric(run.url, "sluice_component_received_records_total", "csv")) > 0);

    // The rates the page shows add up, second by second, to what /metrics
    // counted over the same stretch, within one refresh at either end.
    const counted = async () => Object.fromEntries(await Promise.all(components.map(async (id) => [id, {
      in: await metric(run.url, "sluice_component_received_records_total", id),
      out: await metric(run.url, "sluice_component_sent_records_total", id),
    }])));
    // Each of the page's samples covers the second before its time: those
    // ending between the two readings of /metrics cover the same stretch
    // but for less than a second at either end.
    const startedAt = Date.now();
    const first = await counted();
    await waitFor("five seconds", async () => Date.now() - startedAt > 5000, 10000);
    const endedAt = Date.now();
    const last = await counted();
    const history = await waitFor("the page's samples past the second reading", async () => {
      const h = await pageHistory(page);
      return h.time_ms[h.time_ms.length - 1] > endedAt + 1000 ? h : null;
    });
    const within = history.time_ms.map((t, i) => [t, i]).filter(([t]) => t > startedAt && t <= endedAt).map(([, i]) => i);
    for (const id of components)
      for (const direction of ["in", "out"]) {
        const rates = history.comps[id][direction];
        const count = (i) => (rates[i] * (history.time_ms[i] - history.time_ms[i - 1])) / 1000;
        const shown = within.reduce((sum, i) => sum + count(i), 0);
        const delta = last[id][direction] - first[id][direction];
        const neighbours = [...within, within[within.length - 1] + 1].filter((i) => i < rates.length);
        const oneRefresh = Math.max(...neighbours.map(count)) * 1.05 + 1;
        assert.ok(Math.abs(shown - delta) <= 2 * oneRefresh,
                  `${id} ${direction}: the page shows ${shown.toFixed(0)} records over ${within.length} s, /metrics counted ${delta}`);
      }
    // The graph's labels are the latest of those rates.
    const genOut = await page.$eval('#graph .node[data-id="gen"] [data-rate="out"]', (e) => Number(e.dataset.value));
    assert.ok(genOut > 0, "the generator's rate on the graph");

    // The exporter, with no sequence loss.
    const exporter = await waitFor("the exporter's row", () => page.evaluate(() => {
      const table = document.querySelector("#exporters table");
      if (!table) return null;
      const headers = [...table.querySelectorAll("th")].map((th) => th.textContent.trim());
      const row = table.querySelector('tbody tr[data-address="127.0.0.1"]');
      if (!row) return null;
      const cells = [...row.querySelectorAll("td")].map((td) => td.textContent);
      return Object.fromEntries(headers.map((h, i) => [h, cells[i]]));
    }));
    assert.equal(exporter["sequence loss"], "0");
    assert.match(exporter.protocol, /^netflow v9/);
    assert.notEqual(exporter["last seen"], "–");

    // Sorting by a column header.
    await page.click('#exporters th[data-key="datagrams"]');
    assert.ok(await page.$('#exporters th.sorted[data-key="datagrams"]'));

    // The traffic chart has the aggregate's top keys, as the engine publishes them.
    const published = await waitFor("the aggregate's table", async () => {
      const status = await getJson(run.url, "api/v1/status");
      const t = status.tables.find((x) => x.component === "top" && x.name === "top keys");
      return t && t.versions.length >= 2 ? t : null;
    });
    assert.deepEqual(published.columns, ["dst_port", "proto", "flows", "packets", "bytes"]);
    // The page is at most a refresh behind the engine: its keys are those of
    // one of the bins the engine keeps.
    await waitFor("the traffic chart with a bin's keys", async () => {
      const keys = await page.$$eval('[data-table="top/top keys"] rect[data-key]', (r) => [...new Set(r.map((e) => e.dataset.key))].sort().join(","));
      const status = await getJson(run.url, "api/v1/status");
      const bins = status.tables.find((x) => x.name === "top keys").versions.map((v) => v.rows.map((r) => `${r[0]} ${r[1]}`).sort().join(","));
      return keys && bins.includes(keys) && keys.split(",").length >= 3;
    }, 15000);
    // The csv sink's disk buffer, in the Outputs table as the status has it.
    const buffered = await waitFor("the csv sink's disk buffer in Outputs", () => page.evaluate(() => {
      const table = document.querySelector("#outputs table");
      if (!table) return null;
      const headers = [...table.querySelectorAll("th")].map((th) => th.textContent.trim());
      const row = [...table.querySelectorAll("tbody tr")].find((r) => r.querySelector("td")?.textContent === "csv");
      return row ? row.querySelectorAll("td")[headers.indexOf("disk buffer")]?.textContent : null;
    }));
    assert.match(buffered, /^[0-9.,]+ ?[kM]? records, [0-9.,]+ ?[kMG]?B$/);
    const csvStatus = (await getJson(run.url, "api/v1/status")).components.find((c) => c.id === "csv");
    assert.equal(typeof csvStatus.buffer_records, "number");
    assert.ok(csvStatus.buffer_bytes > 0, "the buffer's segment holds the bins written so far");
    const wire = (await getJson(run.url, "api/v1/status")).components.find((c) => c.id === "wire");
    assert.equal(wire.buffer_records, undefined, "a sink without a disk buffer has none");

    // The configuration, and the health.
    assert.match(await page.$eval("#config", (e) => e.textContent), /plugin = "aggregate"/);
    assert.equal(await page.$eval("#health", (e) => e.textContent), "running");

    await page.screenshot({ path: path.join(artefacts, "console-desktop.png"), fullPage: true });
    await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await waitFor("a refresh at phone width", async () => (await page.$$("#graph .node")).length === components.length);
    await page.screenshot({ path: path.join(artefacts, "console-phone.png"), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than a phone`);
    assert.deepEqual(errors, []);
  } finally {
    const { code } = await run.stop();
    assert.equal(code, 0, run.log());
  }
});

test("an exporter that stops sending is marked silent", async () => {
  const run = await startPipeline({ silentAfter: "2s", generator: 'duration = "2s"' });
  try {
    const { page, errors } = await open(run.url, 1280, 900);
    await waitFor("the exporter's row", () => page.$('#exporters tr[data-address="127.0.0.1"]'));
    // The generator ends after 2 s; 2 s later its exporter is silent.
    await waitFor("the exporter marked silent", () => page.$('#exporters tr.silent[data-address="127.0.0.1"]'), 30000);
    const status = await getJson(run.url, "api/v1/status");
    assert.equal(status.exporters[0].silent, true);
    assert.equal(status.components.find((c) => c.id === "gen").out_per_s, 0);
    await page.screenshot({ path: path.join(artefacts, "console-silent.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await run.stop();
  }
});
