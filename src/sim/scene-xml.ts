// SceneSpec → MJCF. The robot comes from the vendored Panda (included by file name); the table top is
// the plane z = 0 with the robot's base on it; objects are free bodies, fixtures mocap bodies (static,
// but placed per episode without recompiling).
import type { PrimitiveGeom, SceneSpec } from './scene-spec.js';

const TABLE_TOP_Z = 0;
/** The table's extent on the plane z = 0 (the robot base sits at the origin, near its back edge). */
const TABLE_BOUNDS = { xMin: -0.25, xMax: 1.15, yMin: -0.7, yMax: 0.7 } as const;
export const TABLE_GEOM = 'table';

const num = (v: number) => String(Math.round(v * 1e6) / 1e6);
const list = (vs: readonly number[]) => vs.map(num).join(' ');

function geomXml(name: string, g: PrimitiveGeom, extra = ''): string {
  const size = g.type === 'box' ? g.size : g.type === 'cylinder' ? g.size.slice(0, 2) : g.size.slice(0, 1);
  const attrs = [
    `name="${name}"`,
    `type="${g.type}"`,
    `size="${list(size)}"`,
    `rgba="${list(g.rgba)}"`,
    g.pos ? `pos="${list(g.pos)}"` : '',
    g.quat ? `quat="${list(g.quat)}"` : '',
    g.collides === false ? 'contype="0" conaffinity="0"' : '',
    extra,
  ];
  return `<geom ${attrs.filter(Boolean).join(' ')}/>`;
}

export function sceneXml(scene: SceneSpec, robotFile: string): string {
  const x = TABLE_BOUNDS;
  const table = geomXml(
    TABLE_GEOM,
    {
      type: 'box',
      size: [(x.xMax - x.xMin) / 2, (x.yMax - x.yMin) / 2, 0.02],
      pos: [(x.xMax + x.xMin) / 2, (x.yMax + x.yMin) / 2, TABLE_TOP_Z - 0.02],
      rgba: scene.tableRgba,
    },
    'friction="0.8 0.005 0.0001"',
  );
  const objects = scene.objects.map(
    (o) =>
      `<body name="${o.name}"><freejoint name="${o.name}"/>${geomXml(
        o.name,
        o.geom,
        `mass="${num(o.mass)}" friction="${num(o.friction)} 0.005 0.0001" condim="4"`,
      )}</body>`,
  );
  const fixtures = scene.fixtures.map(
    (f) =>
      `<body name="${f.name}" mocap="true">${f.geoms.map((g, i) => geomXml(`${f.name}/${i}`, g)).join('')}</body>`,
  );
  return [
    '<mujoco model="grape tabletop">',
    `  <include file="${robotFile}"/>`,
    // Elliptic cones and impratio hold grasped objects without slip; multiccd gives convex pairs (a
    // cylinder on a box) several contact points, so they rest instead of rocking on one.
    '  <option timestep="0.002" integrator="implicitfast" cone="elliptic" impratio="10">',
    '    <flag multiccd="enable"/>',
    '  </option>',
    '  <worldbody>',
    `    ${table}`,
    ...objects.map((s) => `    ${s}`),
    ...fixtures.map((s) => `    ${s}`),
    '  </worldbody>',
    '</mujoco>',
    '',
  ].join('\n');
}
