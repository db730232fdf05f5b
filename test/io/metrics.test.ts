import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { formatRow, MetricsWriter, readMetrics, writeMetrics } from "../../src/io/metrics.ts";

const dir = mkdtempSync(join(tmpdir(), "pg-metrics-"));

test("rows written are read back in order, non-finite numbers as null, non-numbers dropped", () => {
  const p = join(dir, "a.jsonl");
  const w = new MetricsWriter(p);
  w.append({ update: 1, envSteps: 100, returnMean: 21.5 });
  w.append({ update: 2, envSteps: 200, returnMean: Number.NaN, loss: -Infinity, label: "x" });
  w.sync();
  w.close();
  w.close(); // idempotent
  assert.throws(() => w.append({ update: 3 }), /append after close/);
  const { rows, tornLastLine } = readMetrics(p);
  assert.equal(tornLastLine, false);
  assert.deepEqual(rows, [
    { update: 1, envSteps: 100, returnMean: 21.5 },
    { update: 2, envSteps: 200, returnMean: null, loss: null },
  ]);
});

test("a writer reopening the file appends after existing rows", () => {
  const p = join(dir, "b.jsonl");
  writeMetrics(p, [{ update: 1 }, { update: 2 }]);
  const w = new MetricsWriter(p);
  w.append({ update: 3 });
  w.close();
  assert.deepEqual(
    readMetrics(p).rows.map((r) => r.update),
    [1, 2, 3],
  );
});

test("a torn last line (crash mid-write) is skipped and reported", () => {
  const p = join(dir, "c.jsonl");
  writeFileSync(p, `${formatRow({ update: 1 })}\n${formatRow({ update: 2 })}\n{"update":3,"envS`);
  const { rows, tornLastLine } = readMetrics(p);
  assert.equal(tornLastLine, true);
  assert.deepEqual(rows, [{ update: 1 }, { update: 2 }]);
});

test("a bad line that is not the torn tail is an error naming the file and line", () => {
  const p = join(dir, "d.jsonl");
  writeFileSync(p, `{"update":1}\nnot json\n{"update":3}\n`);
  assert.throws(() => readMetrics(p), /d\.jsonl:2: not a JSON line/);
  const q = join(dir, "e.jsonl");
  writeFileSync(q, `{"update":1}\n{"update":"two"}\n`);
  assert.throws(() => readMetrics(q), /e\.jsonl:2: field "update" is "two"/);
  // A complete (newline-terminated) but unparsable last line is damage, not a torn write.
  const r = join(dir, "f.jsonl");
  writeFileSync(r, `{"update":1}\n{"upd\n`);
  assert.throws(() => readMetrics(r), /f\.jsonl:2/);
  assert.throws(() => readMetrics(join(dir, "missing.jsonl")), /does not exist/);
});

test("empty file and blank lines read as no rows", () => {
  const p = join(dir, "g.jsonl");
  writeFileSync(p, "");
  assert.deepEqual(readMetrics(p).rows, []);
  appendFileSync(p, "\n\n");
  assert.deepEqual(readMetrics(p).rows, []);
});
