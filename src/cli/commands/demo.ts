// grape demo: the README's main job, the whole GRAPE loop on the embedded simulator. The loop
// is assembled from stages as they land; until all exist it says which are missing and stops.
import type { CommandModule } from 'yargs';

import { collectDoctorReport } from './doctor.js';
import { printJson } from '../output.js';
import type { GlobalArgs } from '../global-args.js';

interface Stage {
  name: string;
  built: boolean;
  issue: number;
}

// The loop's stages in order (DESIGN.md "Data flows one way").
const STAGES: Stage[] = [
  { name: 'native action head (logits, act, per-step log-likelihood)', built: true, issue: 2 },
  { name: 'policy runtime and default model', built: true, issue: 3 },
  { name: 'episode recorder and index', built: true, issue: 4 },
  { name: 'embedded MuJoCo simulator, tasks and expert', built: true, issue: 5 },
  { name: 'head training (SFT, TPO)', built: false, issue: 7 },
  { name: 'GCPG scoring and pairing', built: true, issue: 8 },
  { name: 'iteration loop, evaluation and report', built: false, issue: 9 },
];

export const demoCommand: CommandModule<GlobalArgs, GlobalArgs & { json: boolean }> = {
  command: 'demo',
  describe: 'Run the whole GRAPE loop on the embedded simulator (SFT, rollouts, GCPG, TPO, evaluation)',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
  handler: async (args) => {
    const report = await collectDoctorReport(args['data-dir']);
    const missing = STAGES.filter((s) => !s.built);
    if (args.json) {
      printJson({ stages: STAGES, addon: report.addon, ready: missing.length === 0 });
    } else {
      process.stdout.write('grape demo: the GRAPE loop on the embedded simulator\n');
      for (const s of STAGES)
        process.stdout.write(`  [${s.built ? 'built' : 'missing'}] ${s.name} (#${s.issue})\n`);
      if ('error' in report.addon) process.stdout.write(`addon: ${report.addon.error}\n`);
      else process.stdout.write(`addon: loaded, head runs on ${report.addon.device.selected}\n`);
      if (missing.length > 0)
        process.stdout.write(
          `The loop cannot run yet: ${missing.length} of ${STAGES.length} stages are not built. ` +
            '`grape doctor` shows what is installed.\n',
        );
    }
    if (missing.length > 0 || 'error' in report.addon) process.exitCode = 2;
  },
};
