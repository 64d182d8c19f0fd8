// `sluice top` in a real terminal: tmux on a socket of its own, 80 columns,
// keys sent with send-keys, the screen read with capture-pane.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { components, sluice, startPipeline, waitFor } from "./pipeline.mjs";

test("sluice top shows the components and exporters, sorts by a key and quits on q", async () => {
  const run = await startPipeline();
  const socket = `sluice-top-test-${process.pid}`;
  const tmux = (...args) => execFileSync("tmux", ["-L", socket, "-f", "/dev/null", ...args], { encoding: "utf8" });
  const exitFile = path.join(run.dir, "top-exit");
  try {
    tmux("new-session", "-d", "-x", "80", "-y", "30", `${sluice} top ${run.address}; echo $? > ${exitFile}; sleep 60`);
    const screen = () => tmux("capture-pane", "-p");
    const rowOf = (text, id) => text.split("\n").findIndex((line) => line.startsWith(id + " "));

    const first = await waitFor("every component with a rate", () => {
      const text = screen();
      const all = components.every((id) => rowOf(text, id) >= 0) && /^127\.0\.0\.1\s/m.test(text);
      return all && /^gen\s+generator\s+0\s+[0-9.]+k/m.test(text) ? text : null;
    });
    assert.match(first, /COMPONENT\s+PLUGIN\s+IN\/S\s+OUT\/S\s+QUEUE\s+DROPPED\s+LOST\s+ERRORS/);
    assert.match(first, /^127\.0\.0\.1\s+netflow v9\s/m);
    assert.ok(first.split("\n").every((line) => line.length <= 80));
    // Sorted by name at first.
    assert.ok(rowOf(first, "collector") < rowOf(first, "gen"));

    // `o` sorts by out/s, largest first: the generator (2000/s) above the
    // CSV sink (a few aggregate rows a second).
    tmux("send-keys", "o");
    const sorted = await waitFor("the out/s order", () => {
      const text = screen();
      return text.includes("[o=out/s]") ? text : null;
    });
    assert.ok(rowOf(sorted, "gen") < rowOf(sorted, "csv"), sorted);

    tmux("send-keys", "q");
    const code = await waitFor("top to exit", () => fs.existsSync(exitFile) && fs.readFileSync(exitFile, "utf8").trim());
    assert.equal(code, "0");
  } finally {
    try { tmux("kill-server"); } catch { /* already gone */ }
    await run.stop();
  }
});
