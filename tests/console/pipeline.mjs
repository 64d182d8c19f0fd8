// Starts the console tests' pipeline: generator -> netflow_export ->
// netflow_udp -> aggregate -> csv_writer (with a disk buffer) in one sluice, its console on a
// free loopback port, and stops it by its process id.
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const sluice = process.env.SLUICE_EXE;
export const pluginDir = process.env.SLUICE_PLUGIN_DIR;
export const artefacts = process.env.SLUICE_ARTEFACTS || fs.mkdtempSync(path.join(os.tmpdir(), "sluice-console-"));
if (!sluice || !pluginDir) throw new Error("set SLUICE_EXE and SLUICE_PLUGIN_DIR (ctest does)");

async function freeUdpPort() {
  const socket = dgram.createSocket("udp4");
  await new Promise((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return port;
}

// Waits for `condition` (async, truthy when met) until `deadline_ms` has passed.
export async function waitFor(what, condition, deadline_ms = 30000) {
  const end = Date.now() + deadline_ms;
  let last;
  for (;;) {
    try {
      last = await condition();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const components = ["gen", "wire", "collector", "top", "csv"];

// `generator` takes the generator's options beyond its rate.
export async function startPipeline({ silentAfter = "60s", generator = 'duration = "600s"' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-console-run-"));
  const port = await freeUdpPort();
  const file = path.join(dir, "console-test.toml");
  fs.writeFileSync(file, `[engine]
metrics = "127.0.0.1:0"
console_silent_after = "${silentAfter}"

[sources.gen]
plugin = "generator"
rate = 2000
${generator}

[sinks.wire]
plugin = "netflow_export"
inputs = ["gen"]
version = 9
target = "127.0.0.1:${port}"

[sources.collector]
plugin = "netflow_udp"
listen = "127.0.0.1:${port}"

[transforms.top]
plugin = "aggregate"
inputs = ["collector"]
key = ["dst_port", "proto"]
interval = "1s"
top = 6

[sinks.csv]
plugin = "csv_writer"
inputs = ["top"]
path = "${path.join(dir, "top.csv")}"
buffer = "disk"
`);
  const child = spawn(sluice, ["run", file, "--plugin-dir", pluginDir, "--stats-interval", "0"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (chunk) => { log += chunk; });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const address = await waitFor("the console's address in the log", () => log.match(/on http:\/\/([0-9.]+:[0-9]+)/)?.[1]);
  return {
    address, dir, log: () => log,
    url: `http://${address}/`,
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

export async function getJson(base, target) {
  const response = await fetch(new URL(target, base));
  if (!response.ok) throw new Error(`${target}: HTTP ${response.status}`);
  return response.json();
}

// The value of `name{component_id="id",...}` in /metrics, summed over the
// series of that component.
export async function metric(base, name, component) {
  const text = await (await fetch(new URL("metrics", base))).text();
  let sum = 0, found = false;
  for (const line of text.split("\n"))
    if (line.startsWith(name + "{") && line.includes(`component_id="${component}"`)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
      found = true;
    }
  if (!found) throw new Error(`no ${name} for ${component} in /metrics`);
  return sum;
}
