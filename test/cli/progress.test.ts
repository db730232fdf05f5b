import assert from "node:assert/strict";
import { test } from "node:test";
import { formatCount, formatDuration, Progress } from "../../src/cli/progress.ts";

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, columns: 200, write: (s: string) => out.push(s) > 0 } };
}

test("not a TTY: one plain line per tenth of the budget, with steps, episodes, return, rate and ETA", () => {
  const { out, stream } = sink(false);
  let t = 0;
  const p = new Progress(stream, 1000, 0, () => t);
  for (let s = 50; s <= 1000; s += 50) {
    t += 1;
    p.update({ envSteps: s, episodes: s / 10, returnMean: s === 100 ? null : s / 2 });
  }
  p.finish();
  assert.equal(out.length, 10);
  assert.ok(out.every((l) => l.endsWith("\n") && !l.includes("\r")));
  // at 100 steps no episode finished: the last known return (25 at 50 steps) is shown
  assert.equal(out[0], " 10% 100/1000 steps | 10 episodes | return 25.0 | 50 steps/s | ETA 18s\n");
  assert.equal(out[9], "100% 1000/1000 steps | 100 episodes | return 500.0 | 50 steps/s | 20s\n");
});

test("TTY: a bar redrawn in place, throttled, and a newline at the end", () => {
  const { out, stream } = sink(true);
  let t = 0;
  const p = new Progress(stream, 100, 0, () => t);
  p.update({ envSteps: 10, episodes: 1, returnMean: 9 });
  t += 0.01;
  p.update({ envSteps: 20, episodes: 2, returnMean: 9 }); // within 0.1 s: skipped
  t += 0.5;
  p.update({ envSteps: 50, episodes: 5, returnMean: 12 });
  p.finish();
  assert.equal(out.length, 3);
  assert.match(
    out[0],
    /^\r 10% \[##----------------------\] 10\/100 steps \| 1 episodes \| return 9\.0/,
  );
  assert.match(out[1], /^\r 50% \[############------------\] 50\/100 steps/);
  assert.ok(out[1].endsWith("\x1b[K"));
  assert.equal(out[2], "\n");
});

test("on resume, rate and the tenth marks start from the steps already done", () => {
  const { out, stream } = sink(false);
  let t = 0;
  const p = new Progress(stream, 1000, 600, () => t);
  t = 2;
  p.update({ envSteps: 650, episodes: 1, returnMean: 1 }); // below 70%: silent
  t = 4;
  p.update({ envSteps: 700, episodes: 2, returnMean: 1 });
  assert.equal(out.length, 1);
  assert.match(out[0], /^ 70% 700\/1000 steps .* 25 steps\/s \| ETA 12s/);
});

test("formatting helpers", () => {
  assert.equal(formatCount(999), "999");
  assert.equal(formatCount(12_345), "12.3k");
  assert.equal(formatCount(2_500_000), "2.50M");
  assert.equal(formatDuration(42.4), "42s");
  assert.equal(formatDuration(185), "3m05s");
  assert.equal(formatDuration(3720), "1h02m");
  assert.equal(formatDuration(Number.NaN), "?");
});

test("TTY of unknown width uses 100 columns; a narrow one drops the bar before the numbers", () => {
  const out: string[] = [];
  const unknown = new Progress(
    { isTTY: true, columns: 0, write: (s) => out.push(s) > 0 },
    100,
    0,
    () => 0,
  );
  unknown.update({ envSteps: 10, episodes: 1, returnMean: 9 });
  assert.match(
    out[0],
    /\[##-+\] 10\/100 steps \| 1 episodes \| return 9\.0 \| 0 steps\/s \| ETA \?/,
  );
  const narrow = new Progress(
    { isTTY: true, columns: 70, write: (s) => out.push(s) > 0 },
    100,
    0,
    () => 0,
  );
  narrow.update({ envSteps: 10, episodes: 1, returnMean: 9 });
  assert.ok(!out[1].includes("[#") && !out[1].includes("[-"), out[1]);
  assert.match(out[1], /^\r 10% 10\/100 steps \| 1 episodes \| return 9\.0/);
});

test("evaluations show on the line: the latest and the best so far", () => {
  const { out, stream } = sink(false);
  let t = 0;
  const p = new Progress(stream, 100, 0, () => t);
  p.evaluation(480, true);
  p.evaluation(120, false);
  t = 1;
  p.update({ envSteps: 10, episodes: 1, returnMean: 9 });
  assert.match(out[0], /\| return 9\.0 \| eval 120\.0 \(best 480\.0\) \| 10 steps\/s/);
});
