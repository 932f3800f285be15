// How grape_policy starts: lib/grape/policy_node (bin/policy_node) runs dist/ros/policy-node-main.js
// from the installed or the source layout; without a sourced ROS 2 the node says what is missing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { loadRclnodejs, RosUnavailableError } from '../src/ros/rclnodejs-loader.js';
import { scratchDir } from './helpers/policy-fixtures.js';

const ROOT = join(import.meta.dirname, '..');
const NOT_SOURCED = 'ROS 2 is not sourced (source /opt/ros/<distro>/setup.bash)';

function withoutRos(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GRAPE_LOG: 'silent' };
  delete env.ROS_DISTRO;
  delete env.AMENT_PREFIX_PATH;
  return env;
}

/** A wrapper at `wrapper` beside a stand-in main at `main` that prints the arguments it got. */
function layout(wrapper: string, main: string): void {
  mkdirSync(join(wrapper, '..'), { recursive: true });
  mkdirSync(join(main, '..'), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'policy_node'), wrapper);
  writeFileSync(main, 'console.log(JSON.stringify(process.argv.slice(2)));\n');
}

describe('starting grape_policy', () => {
  it('does not load rclnodejs without a sourced ROS 2, and says so', async () => {
    await assert.rejects(loadRclnodejs({}), (error: unknown) => {
      assert.ok(error instanceof RosUnavailableError);
      assert.equal(error.message, NOT_SOURCED);
      return true;
    });
  });

  it('policy-node-main exits 1 naming what is missing', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src', 'ros', 'policy-node-main.ts')],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: withoutRos(),
      },
    );
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), `[grape_policy] cannot start: ${NOT_SOURCED}`);
  });

  it('lib/grape/policy_node runs share/grape/dist, passing the ROS arguments on', () => {
    const prefix = scratchDir('grape-install-');
    const wrapper = join(prefix, 'lib', 'grape', 'policy_node');
    layout(wrapper, join(prefix, 'share', 'grape', 'dist', 'ros', 'policy-node-main.js'));
    const args = ['--ros-args', '-r', '__node:=grape_policy', '--params-file', '/tmp/p.yaml'];
    const r = spawnSync(wrapper, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), args);
  });

  it("bin/policy_node runs the source tree's dist, and says when it is not built", () => {
    const tree = scratchDir('grape-source-');
    const wrapper = join(tree, 'bin', 'policy_node');
    const main = join(tree, 'dist', 'ros', 'policy-node-main.js');
    layout(wrapper, main);
    assert.deepEqual(JSON.parse(spawnSync(wrapper, ['x'], { encoding: 'utf8' }).stdout), ['x']);

    const bare = scratchDir('grape-unbuilt-');
    mkdirSync(join(bare, 'bin'));
    copyFileSync(join(ROOT, 'bin', 'policy_node'), join(bare, 'bin', 'policy_node'));
    const r = spawnSync(join(bare, 'bin', 'policy_node'), [], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /dist\/ros\/policy-node-main\.js is missing: build grape first \(colcon build, or npm run build\)/,
    );
  });
});
