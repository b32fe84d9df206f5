// The demo's time lines: seconds under a minute with one decimal, whole m:ss / h:mm:ss above (a 119.6 s
// stage once printed as "1m60s").
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatTimings } from '../../src/demo/run.js';

it('formats stage times without a 60-second remainder', () => {
  const t = [
    { name: 'a', seconds: 59.6, cpuSeconds: 119.6 },
    { name: 'b', seconds: 60, cpuSeconds: 3725 },
  ];
  const s = formatTimings(t, { cpus: 2, loadavgStart: [0, 0, 0], loadavgEnd: [1, 1, 1] });
  assert.match(s, /time per stage: a 59\.6s, b 1:00\n/);
  assert.match(s, /CPU time \(all threads\): a 2:00, b 1:02:05\n/);
  assert.doesNotMatch(s, /:60/);
});
