// grape doctor: what the addon was built with, which device it runs on, ROS 2 and onnxruntime.
import type { CommandModule } from 'yargs';

import { loadAddon, type BuildInfo, type DeviceSelection } from '../../native/addon.js';
import { probeOnnxRuntime, type OnnxRuntimeStatus } from '../../policy/onnx/onnx-runtime-status.js';
import { probeRos, type RosEnvironment } from '../../ros/ros-environment.js';
import { printJson, printPairs } from '../output.js';
import type { GlobalArgs } from '../global-args.js';

export interface DoctorReport {
  node: string;
  addon: { path: string; build: BuildInfo; device: DeviceSelection } | { error: string };
  onnxruntime: OnnxRuntimeStatus;
  ros: RosEnvironment;
  dataDir: string;
}

export async function collectDoctorReport(dataDir: string): Promise<DoctorReport> {
  let addon: DoctorReport['addon'];
  try {
    const { addon: native, path } = loadAddon();
    addon = { path, build: native.buildInfo(), device: native.selectDevice() };
  } catch (error) {
    addon = { error: (error as Error).message };
  }
  return { node: process.version, addon, onnxruntime: await probeOnnxRuntime(), ros: probeRos(), dataDir };
}

function printReport(r: DoctorReport): void {
  const rows: [string, string][] = [['node', r.node]];
  if ('error' in r.addon) {
    rows.push(['addon', `NOT LOADED: ${r.addon.error}`]);
  } else {
    const b = r.addon.build;
    rows.push(
      ['addon', r.addon.path],
      ['built with', `${b.builder}, ${b.compiler}, Node-API ${b.napiVersion}`],
      ['CPU kernels', b.cpuKernels],
      ['CUDA', b.cuda ? `compiled (${b.cudaArchitectures})` : 'not compiled (nvcc missing at build time)'],
      ['device', `${r.addon.device.selected} — ${r.addon.device.reason}`],
    );
  }
  const o = r.onnxruntime;
  rows.push([
    'onnxruntime',
    o.available
      ? `${o.version} (providers: ${o.backends?.join(', ')}${o.notInstalled?.length ? `; not installed: ${o.notInstalled.join(', ')}` : ''})`
      : `NOT LOADED: ${o.error}`,
  ]);
  rows.push([
    'ROS 2',
    r.ros.sourced
      ? `${r.ros.distro} (rmw ${r.ros.rmw ?? 'default'})`
      : 'not sourced: the ROS node cannot run here',
  ]);
  rows.push(['rclnodejs', r.ros.rclnodejs]);
  rows.push(['data dir', r.dataDir]);
  printPairs('grape doctor', rows);
}

export const doctorCommand: CommandModule<GlobalArgs, GlobalArgs & { json: boolean }> = {
  command: 'doctor',
  describe: 'Show the addon build, the device in use, ROS 2 and onnxruntime status',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
  handler: async (args) => {
    const report = await collectDoctorReport(args['data-dir']);
    if (args.json) printJson(report);
    else printReport(report);
    if ('error' in report.addon) process.exitCode = 1;
  },
};
