import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DoctorReport } from '../src/cli/commands/doctor.js';
import { runCli } from './helpers/cli.js';

describe('grape CLI', () => {
  it('doctor --json reports the addon build, the device and the ROS/onnxruntime status', () => {
    const r = runCli(['doctor', '--json'], { GRAPE_DEVICE: 'cpu', ROS_DISTRO: '', AMENT_PREFIX_PATH: '' });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as DoctorReport;
    assert.ok(!('error' in report.addon), JSON.stringify(report.addon));
    if ('build' in report.addon) {
      assert.ok(['cmake-js', 'node-gyp'].includes(report.addon.build.builder));
      assert.match(report.addon.build.cpuKernels, /^generic/);
      assert.match(report.addon.device.selected, /^cpu \(/);
      assert.equal(report.addon.device.reason, 'forced by GRAPE_DEVICE');
    }
    assert.equal(report.onnxruntime.available, true);
    assert.ok(report.onnxruntime.backends?.includes('cpu'));
    assert.equal(report.ros.sourced, false);
    assert.ok(report.ros.missing.some((m) => m.includes('ROS 2 is not sourced')));
  });

  it('doctor prints a table for people', () => {
    const r = runCli(['doctor', '--data-dir', '/tmp/grape-doctor']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^grape doctor\n/);
    assert.match(r.stdout, /CPU kernels\s+generic/);
    assert.match(r.stdout, /data dir\s+\/tmp\/grape-doctor/);
  });

  it('doctor says plainly when the addon is missing', () => {
    const r = runCli(['doctor', '--json'], { GRAPE_ADDON: '/nonexistent/grape.node' });
    assert.equal(r.status, 1);
    const report = JSON.parse(r.stdout) as DoctorReport;
    assert.ok('error' in report.addon);
    if ('error' in report.addon) assert.match(report.addon.error, /native addon is not built/);
  });

  it('demo and iterate run the GRAPE loop: their options, and bad sizes fail before anything runs', () => {
    for (const command of ['demo', 'iterate']) {
      const help = runCli([command, '--help']);
      assert.equal(help.status, 0, help.stderr);
      for (const option of ['--rounds', '--rollouts-per-seed', '--eval-seeds', '--eval-split', '--resume'])
        assert.ok(help.stdout.includes(option), `${command} --help names ${option}`);
      const bad = runCli(['--data-dir', '/tmp/grape-cli-loop', command, '--rollouts-per-seed', '1']);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /--rollouts-per-seed must be an integer ≥ 2/);
    }
    const missing = runCli(['--data-dir', '/tmp/grape-cli-loop', 'iterate', '--resume', 'loop-nope']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no GRAPE loop loop-nope/);
  });

  it('rejects unknown commands and options (strict)', () => {
    const r = runCli(['doctor', '--bogus']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Unknown argument: bogus/);
    assert.notEqual(runCli(['nope']).status, 0);
  });
});
