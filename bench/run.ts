// npm run bench -- <workload>: runs one benchmark of ../shared/bench/WORKLOADS.md (JSON lines on stdout).
import { actLatency } from './act-latency.js';
import { record } from './record.js';
import { replay } from './replay.js';
import { scoreCpu } from './score-cpu.js';
import { simBench, simExpertBench } from './sim.js';
import { tpoHead } from './tpo-head.js';
import { tpoHeadCheck } from './tpo-head-check.js';

const WORKLOADS: Record<string, () => Promise<void>> = {
  'act-latency': actLatency,
  'score-cpu': scoreCpu,
  record,
  replay,
  sim: simBench,
  'sim-expert': simExpertBench,
  'tpo-head': tpoHead,
  'tpo-head-check': tpoHeadCheck,
};

const name = process.argv[2];
const run = name ? WORKLOADS[name] : undefined;
if (!run) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(WORKLOADS).join('|')}>\n`);
  process.exit(2);
}
await run();
