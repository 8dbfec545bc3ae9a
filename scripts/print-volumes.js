#!/usr/bin/env node
// Reads the stack output `boundVolumes` (JSON, on stdin or in the file given as argument) and
// prints it as a table: claim, phase, volume, capacity, modes, class, reclaim, mounted by.
// Used by `scripts/stack STACK volumes`. Exit 1 on input that is not such an array.
"use strict";

const fs = require("fs");

const MODES = { ReadWriteOnce: "RWO", ReadOnlyMany: "ROX", ReadWriteMany: "RWX", ReadWriteOncePod: "RWOP" };

function text(v) {
  if (v === undefined || v === null || v === "") return "-";
  return String(v);
}

function rows(volumes) {
  return volumes.map((v) => [
    (v.namespace ? v.namespace + "/" : "") + text(v.claim),
    text(v.phase),
    text(v.volume),
    text(v.capacity),
    Array.isArray(v.accessModes) && v.accessModes.length
      ? v.accessModes.map((m) => MODES[m] || m).join(",")
      : "-",
    text(v.storageClass),
    text(v.reclaimPolicy),
    Array.isArray(v.mountedBy) && v.mountedBy.length
      ? v.mountedBy.map((m) => `${text(m.workload)} (${text(m.mode)})`).join(", ")
      : "-",
  ]);
}

function table(header, body) {
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  return [line(header), ...body.map(line)].join("\n");
}

function main() {
  const raw = fs.readFileSync(process.argv[2] || 0, "utf8").trim();
  if (!raw) {
    console.error("no boundVolumes output: has the stack been deployed (`scripts/stack STACK up`)?");
    process.exit(1);
  }
  let data;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    console.error(`boundVolumes is not JSON: ${e.message}`);
    process.exit(1);
  }
  if (!Array.isArray(data)) {
    console.error("boundVolumes is not an array (see the contract: [{namespace, claim, phase, ...}])");
    process.exit(1);
  }
  if (data.length === 0) {
    console.log("no claims");
    return;
  }
  const header = ["CLAIM", "PHASE", "VOLUME", "CAPACITY", "MODES", "CLASS", "RECLAIM", "MOUNTED BY"];
  console.log(table(header, rows(data)));
}

if (require.main === module) main();
module.exports = { rows, table };
