// The root CMakeLists.txt's ament branch, configured against stand-ins for ament_cmake and
// rosidl_default_generators (ROS 2 is not installable here) that record how they are called: it
// generates every interface in msg/ and srv/, installs what `ros2 run`/`ros2 launch` need, and is
// never taken by the cmake-js or the C++ test builds. A real colcon build is not run here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import { scratchDir } from './helpers/policy-fixtures.js';

const ROOT = join(import.meta.dirname, '..');

const STANDINS: Record<string, string> = {
  'ament_cmake/ament_cmakeConfig.cmake': `
macro(ament_package)
  file(APPEND \${GRAPE_STANDIN_LOG} "ament_package\\n")
endmacro()
macro(ament_export_dependencies)
  file(APPEND \${GRAPE_STANDIN_LOG} "ament_export_dependencies \${ARGN}\\n")
endmacro()
`,
  'rosidl_default_generators/rosidl_default_generatorsConfig.cmake': `
function(rosidl_generate_interfaces target)
  file(APPEND \${GRAPE_STANDIN_LOG} "rosidl_generate_interfaces \${target} \${ARGN}\\n")
endfunction()
`,
  'std_msgs/std_msgsConfig.cmake': '',
};

let standins: string;
before(() => {
  standins = scratchDir('grape-cmake-standins-');
  for (const [file, text] of Object.entries(STANDINS)) {
    mkdirSync(join(standins, file, '..'), { recursive: true });
    writeFileSync(join(standins, file), text);
  }
});

/** Configures the root CMakeLists.txt in a fresh build dir; returns the stand-ins' log and the dir. */
function configure(...defines: string[]): { log: string[]; build: string; output: string } {
  const build = scratchDir('grape-cmake-build-');
  const logFile = join(build, 'standins.log');
  const r = spawnSync(
    'cmake',
    [
      '-S',
      ROOT,
      '-B',
      build,
      `-DCMAKE_PREFIX_PATH=${standins}`,
      `-DGRAPE_STANDIN_LOG=${logFile}`,
      ...defines,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n') : [];
  return { log, build, output: r.stdout };
}

describe('CMakeLists.txt, ament branch', () => {
  it('generates every interface of msg/ and srv/ and ends in ament_package', () => {
    const { log } = configure();
    const interfaces = ['msg', 'srv'].flatMap((dir) =>
      readdirSync(join(ROOT, dir)).map((f) => `${dir}/${f}`),
    );
    assert.deepEqual(log, [
      `rosidl_generate_interfaces grape ${interfaces.sort().join(';')};DEPENDENCIES;std_msgs`,
      'ament_export_dependencies rosidl_default_runtime',
      'ament_package',
    ]);
  });

  it('installs the Node package to share/grape and the policy_node wrapper to lib/grape', () => {
    const { build } = configure();
    // Each file(INSTALL DESTINATION "<prefix>/<dir>" ... FILES "<path>" ...) rule, as [dir, path].
    const rules = readFileSync(join(build, 'cmake_install.cmake'), 'utf8')
      .split('file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/')
      .slice(1)
      .flatMap((rule) => {
        const destination = rule.slice(0, rule.indexOf('"'));
        const files = rule.slice(0, rule.indexOf(')')).matchAll(/"(\/[^"]+)"/g);
        return [...files].map((f) => `${destination} ${f[1]!.replace(`${ROOT}/`, '')}`);
      });
    assert.deepEqual(rules, [
      'share/grape package.json',
      'share/grape dist',
      'share/grape node_modules',
      'share/grape launch',
      'share/grape/build-cmake/Release build-cmake/Release/grape.node',
      'lib/grape bin/policy_node',
    ]);
    const targets = readFileSync(join(build, 'Makefile'), 'utf8');
    assert.match(targets, /^grape_npm: /m, 'the npm build is part of the package build');
  });

  it('is not taken by the C++ test build or by cmake-js', () => {
    // (CUDA off: the question is only which branch is taken, and nvcc detection takes a while.)
    const tests = configure('-DGRAPE_BUILD_TESTS=ON', '-DGRAPE_CUDA=OFF');
    assert.deepEqual(tests.log, []);
    assert.match(tests.output, /grape: CUDA backend/);
    const cmakeJs = configure('-DCMAKE_JS_VERSION=8.0.0', '-DGRAPE_CUDA=OFF');
    assert.deepEqual(cmakeJs.log, []);
  });
});
