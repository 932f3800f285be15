// The default model's encoder, built as an ONNX graph from code and a seed. Fixed (not learned)
// features of what a tabletop policy needs, so an mlp head trained by SFT on a few hundred demos
// can act on them (docs/model-package.md says why each block exists):
//   rgb-grid       8×8 average colours of the 96×96 image (layout, arm, shading)
//   hue-grid       soft hue memberships (12 hues 30° apart; unsaturated pixels gated out), 4×4 pooled
//   hue-keypoints  per hue: mass, centroid x/y, spread x/y (where each coloured object is)
//   proprio        joint positions scaled to their ranges, sin/cos of the arm joints, and the tool
//                  centre point's position and axes by the Panda's forward kinematics
//   instruction    fixed random embeddings of the instruction's word and word-pair ids, Σ / √count
//   referents      the hue keypoint of the first and of the second colour word in the instruction
//                  (what to pick, where to put it): colour words → hues is the one piece of language
//                  the encoder knows, as a pretrained VLA would; without it a small head trained on a
//                  few hundred demos does not learn to ground "the red cube" (docs/RESULTS.md)
//   hand-eye       where the tool centre point, and the table point below it, appear in the image (the
//                  camera's calibrated pose), and where each referent is on the table relative to the
//                  tool centre point, in metres (its centroid's ray through the camera, met with the
//                  table plane): "how far to move to be over the object" as two numbers instead of a
//                  camera model to learn
import type { FeatureBlock } from '../model-manifest.js';
import { OnnxGraphBuilder, int, ints } from '../onnx/onnx-graph-builder.js';
import { PANDA_ARM, PANDA_FINGERS, PANDA_HAND, PANDA_TCP_IN_HAND, quatToMatrix } from './panda-kinematics.js';
import { POLICY_CAMERA_POSE, type CameraPose } from '../../sim/ray-cast-camera.js';
import { cross, normalize, sub, type Vec3 } from '../../sim/rotation.js';
import { fnv1a32 } from '../instruction-tokenizer.js';
import { seededNormal } from './seeded-weights.js';

export interface DefaultEncoderConfig {
  seed: number;
  /** Square image side (pixels). */
  imageSize: number;
  /** Cells per side of the RGB grid. */
  rgbGrid: number;
  /** Hue prototypes, evenly spaced from red. */
  hues: number;
  /**
   * Saturation (chroma / (max(R, G, B) + darkness)) at and below which a pixel counts as uncoloured,
   * and from which it fully counts. Saturation, unlike chroma, does not change with shading: a shaded
   * side of a red cube stays red, and a lit wooden table stays uncoloured.
   */
  saturationFloor: number;
  saturationFull: number;
  /** Added to max(R, G, B) so that near-black noise reads as uncoloured. */
  darkness: number;
  /** Cells per side of the pooled hue memberships. */
  hueGrid: number;
  vocabSize: number;
  maxTokens: number;
  embedding: number;
  /** Centre and scale (m) of the workspace the tool centre point position is expressed in. */
  workspaceCentre: [number, number, number];
  workspaceScale: number;
  /** The calibrated pose of the camera the model's images come from (the simulator's policy camera). */
  camera: CameraPose;
  /** Height of the table points the hand-eye block projects below the tool centre point, m. */
  tableHeight: number;
  /** Colour words the referent block knows, with their hue (degrees from red, opponent colour axes). */
  colourWords: Record<string, number>;
}

export const DEFAULT_ENCODER_CONFIG: Readonly<DefaultEncoderConfig> = {
  seed: 0,
  imageSize: 96,
  rgbGrid: 8,
  hues: 12,
  saturationFloor: 0.42,
  saturationFull: 0.56,
  darkness: 0.02,
  hueGrid: 4,
  vocabSize: 4096,
  maxTokens: 32,
  embedding: 64,
  workspaceCentre: [0.45, 0, 0.25],
  workspaceScale: 0.25,
  camera: POLICY_CAMERA_POSE,
  tableHeight: 0.03,
  // Hues of the colours' usual sRGB values (CSS), not of the simulator's materials.
  colourWords: {
    red: 0,
    orange: 35,
    yellow: 60,
    lime: 90,
    green: 120,
    teal: 180,
    cyan: 180,
    blue: 240,
    indigo: 270,
    violet: 280,
    purple: 300,
    magenta: 300,
    pink: 345,
  },
};

export const ENCODER_INPUTS = { image: 'image', joints: 'joints', instruction: 'instruction' } as const;
export const ENCODER_OUTPUT = 'features';
const KEYPOINT_STATS = ['mass', 'x', 'y', 'spread-x', 'spread-y'] as const;
/** Colour words the referent block reads: the first names what to act on, the second where to. */
const REFERENTS = 2;
/** Referent stats are small (positions within ±0.6, spreads ~0.05): a gain brings them near unit scale. */
const REFERENT_GAIN = 2;
/** Table offsets are up to ~0.4 m: a gain brings them near unit scale (1 = 10 cm). */
const OFFSET_GAIN = 10;
/** Embedding-table stream of the seeded weights (the head uses others). */
export const EMBEDDING_STREAM = 1;

export interface DefaultEncoder {
  onnx: Uint8Array;
  features: number;
  blocks: FeatureBlock[];
}

/**
 * Rows of a pooling matrix [cells, size]: row c averages pixels [c·size/cells, (c+1)·size/cells),
 * followed by `extra` rows (coordinate moments).
 */
function poolingRows(size: number, cells: number, extra: number[][] = []): number[] {
  const cell = size / cells;
  const rows = Array.from({ length: cells }, (_, c) =>
    Array.from({ length: size }, (_, i) => (Math.floor(i / cell) === c ? 1 / cell : 0)),
  );
  return [...rows, ...extra].flat();
}

/** The same matrix transposed: [size, cells + extra]. */
function poolingColumns(size: number, cells: number, extra: number[][] = []): number[] {
  const rows = poolingRows(size, cells, extra);
  const n = cells + extra.length;
  return Array.from({ length: size * n }, (_, k) => rows[(k % n) * size + Math.floor(k / n)]!);
}

/**
 * Image in [0, 1] RGB → the rgb-grid, hue-grid and hue-keypoint blocks. Pooling and moments are two
 * small matrix products per map (P_rows · M · P_colsᵀ).
 */
function imageBlocks(
  g: OnnxGraphBuilder,
  c: DefaultEncoderConfig,
  image: string,
): { rgbGrid: string; hueGrid: string; keypoints: string; stats: string } {
  const S = c.imageSize;
  const K = c.hues;
  const G = c.hueGrid;
  const scalar = (name: string, v: number) => g.floats(name, [], [v]);
  const one = scalar('one', 1);
  const eps = scalar('eps', 1e-6);

  const rgbPooled = g.op('MatMul', [
    g.op('MatMul', [g.floats('rgb_pool_rows', [c.rgbGrid, S], poolingRows(S, c.rgbGrid)), image]),
    g.floats('rgb_pool_cols', [S, c.rgbGrid], poolingColumns(S, c.rgbGrid)),
  ]);
  const rgbCentred = g.op('Sub', [g.op('Mul', [rgbPooled, scalar('two', 2)]), one]);
  const rgbGrid = g.op('Flatten', [rgbCentred], { axis: int(1) });

  // Opponent colour axes: a = R - (G + B)/2, b = √3/2 (G - B); chroma = |(a, b)|, hue = its angle.
  // Per-pixel maps live as [n, H·W, channels]: channel mixes are then one flat matrix product and
  // broadcasts run along the last axis, so onnxruntime never converts to and from its blocked layout
  // (as 1×1 convolutions over 2–3 channels make it do) nor broadcasts over a middle axis.
  const pixels = g.op('Transpose', [g.op('Reshape', [image, g.int64s('pixels_shape', [0, 3, S * S])])], {
    perm: ints([0, 2, 1]),
  });
  const h = Math.sqrt(3) / 2;
  const ab = g.op('MatMul', [pixels, g.floats('opponent', [3, 2], [1, 0, -0.5, h, -0.5, -h])]);
  const lastAxis = g.int64s('last_axis', [-1]);
  const chroma = g.op('Sqrt', [
    g.op('Add', [g.op('ReduceSumSquare', [ab, lastAxis], { keepdims: int(1) }), eps]),
  ]);
  // cos(hue - θ_k) for every prototype θ_k; membership ∝ relu(cos(hue - θ_k) - cos(spacing)): 1 at
  // θ_k, 0 from the neighbouring prototypes on, normalized so a colourful pixel's memberships sum to 1.
  const angles = hueAngles(K);
  const directions = g.floats('hue_directions', [2, K], [...angles.map(Math.cos), ...angles.map(Math.sin)]);
  const cosine = g.op('MatMul', [g.op('Div', [ab, chroma]), directions]);
  const near = g.op('Relu', [g.op('Sub', [cosine, scalar('cos_spacing', Math.cos((2 * Math.PI) / K))])]);
  // Colourfulness gate: 0 up to the saturation floor (the simulator's wooden table reads ≤ 0.39 with
  // its colour jitter; grey fixtures, the white arm, backgrounds less), 1 from saturationFull on (its
  // objects read ≥ 0.69, except pink at 0.44: partly seen).
  const brightest = g.op('ReduceMax', [pixels, lastAxis], { keepdims: int(1) });
  const saturation = g.op('Div', [chroma, g.op('Add', [brightest, scalar('darkness', c.darkness)])]);
  const gate = g.op('Clip', [
    g.op('Div', [
      g.op('Sub', [saturation, scalar('saturation_floor', c.saturationFloor)]),
      scalar('saturation_ramp', c.saturationFull - c.saturationFloor),
    ]),
    scalar('zero', 0),
    one,
  ]);
  const total = g.op('Add', [g.op('ReduceSum', [near, lastAxis], { keepdims: int(1) }), eps]);
  const membership = g.op('Mul', [near, g.op('Div', [gate, total])]);

  // P_rows = [cell rows (G) | y | y² | 1], P_cols = [cell cols (G) | x | x² | 1]: P_rows · M · P_colsᵀ
  // gives the pooled grid (top-left G×G) and the moments Σm, Σx·m, Σx²·m, Σy·m, Σy²·m (last row/col).
  const coord = Array.from({ length: S }, (_, i) => ((i + 0.5) / S) * 2 - 1);
  const moments = [coord, coord.map((v) => v * v), coord.map(() => 1)];
  const rowsPooled = g.op('MatMul', [
    g.floats('hue_pool_rows', [G + 3, S], poolingRows(S, G, moments)),
    g.op('Reshape', [membership, g.int64s('rows_shape', [0, S, S * K])]),
  ]);
  const byHue = g.op('Transpose', [g.op('Reshape', [rowsPooled, g.int64s('cols_shape', [0, G + 3, S, K])])], {
    perm: ints([0, 3, 1, 2]),
  });
  const pooled = g.op('MatMul', [
    byHue,
    g.floats('hue_pool_cols', [S, G + 3], poolingColumns(S, G, moments)),
  ]);
  const grid = g.op('Slice', [
    pooled,
    g.int64s('grid_start', [0, 0]),
    g.int64s('grid_end', [G, G]),
    g.int64s('grid_axes', [2, 3]),
  ]);
  // An object of ~9×9 px fills a seventh of a 24×24 cell: a gain of 4 makes it read about 0.5.
  const hueGrid = g.op('Flatten', [g.op('Mul', [grid, scalar('hue_grid_gain', 4)])], { axis: int(1) });

  const at = (row: number, col: number) => row * (G + 3) + col;
  const flat = g.op('Reshape', [pooled, g.int64s('moment_shape', [0, 0, -1])]);
  const [mass, sx, sxx, sy, syy] = [
    at(G + 2, G + 2),
    at(G + 2, G),
    at(G + 2, G + 1),
    at(G, G + 2),
    at(G + 1, G + 2),
  ].map((index, i) => g.op('Gather', [flat, g.int64s(`moment_${i}`, [index])], { axis: int(2) })) as [
    string,
    string,
    string,
    string,
    string,
  ];
  // The moment rows and columns are not averaged: these are pixel sums. A few pixels' worth in the
  // centroid's denominator makes an absent hue read 0; the spread uses the exact mass.
  const floored = g.op('Add', [mass, scalar('mass_floor', 4)]);
  const exact = g.op('Add', [mass, scalar('mass_eps', 1e-3)]);
  const mx = g.op('Div', [sx, floored]);
  const my = g.op('Div', [sy, floored]);
  const spread = (first: string, second: string) => {
    const m = g.op('Div', [first, exact]);
    const variance = g.op('Sub', [g.op('Div', [second, exact]), g.op('Mul', [m, m])]);
    return g.op('Sqrt', [g.op('Add', [g.op('Relu', [variance]), eps])]);
  };
  const massFeature = g.op('Mul', [
    g.op('Sqrt', [g.op('Div', [mass, scalar('pixels', S * S)])]),
    scalar('mass_gain', 4),
  ]);
  // [n, K, 5] → [n, 5, K] → stat-major [n, 5K]
  const stats = g.op('Concat', [massFeature, mx, my, spread(sx, sxx), spread(sy, syy)], { axis: int(2) });
  const keypoints = g.op('Flatten', [g.op('Transpose', [stats], { perm: ints([0, 2, 1]) })], {
    axis: int(1),
  });
  return { rgbGrid, hueGrid, keypoints, stats };
}

function hueAngles(hues: number): number[] {
  return Array.from({ length: hues }, (_, k) => (2 * Math.PI * k) / hues);
}

/** The hue memberships of a colour at `degrees`, by the same kernel the image's pixels go through. */
function colourMembership(degrees: number, hues: number): number[] {
  const theta = (degrees * Math.PI) / 180;
  const near = hueAngles(hues).map((a) => Math.max(0, Math.cos(theta - a) - Math.cos((2 * Math.PI) / hues)));
  const total = near.reduce((a, b) => a + b, 0);
  return near.map((v) => v / total);
}

/**
 * Token ids [n, L] and hue keypoint stats [n, K, 5] → per referent (the k-th colour word among the
 * instruction's words): the stats of its hues, weighted by its memberships, and 1 if the word is there.
 */
function referentBlock(
  g: OnnxGraphBuilder,
  c: DefaultEncoderConfig,
  ids: string,
  stats: string,
): { block: string; centroids: string[] } {
  const K = c.hues;
  const rows = new Map<number, number[]>();
  for (const [word, degrees] of Object.entries(c.colourWords)) {
    const id = 1 + (fnv1a32(word) % (c.vocabSize - 1));
    const taken = rows.get(id);
    const membership = colourMembership(degrees, K);
    if (taken && taken.some((v, k) => Math.abs(v - membership[k]!) > 1e-6))
      throw new Error(`colour word ${JSON.stringify(word)} shares token id ${id} with another colour`);
    rows.set(id, membership);
  }
  const table = new Float32Array(c.vocabSize * K);
  for (const [id, membership] of rows) table.set(membership, id * K);
  // Words come before word pairs in the ids, and pair ids have no colour row: colour words in order.
  const hues = g.op('Gather', [g.floats('colour_hues', [c.vocabSize, K], table), ids], { axis: int(0) });
  const isColour = g.op('ReduceSum', [hues, g.int64s('colour_hue_axis', [2])], { keepdims: int(0) });
  const ordinal = g.op('CumSum', [isColour, g.int64s('colour_token_axis', [1])]);
  const parts = Array.from({ length: REFERENTS }, (_, r) => {
    const kth = g.op('Mul', [
      isColour,
      g.op('Cast', [g.op('Equal', [ordinal, g.floats(`referent_${r}_ordinal`, [], [r + 1])])], {
        to: int(1),
      }),
    ]);
    const weights = g.op('MatMul', [g.op('Unsqueeze', [kth, g.int64s(`referent_${r}_axis`, [1])]), hues]);
    const found = g.op('ReduceSum', [kth, g.int64s(`referent_${r}_found_axis`, [1])], { keepdims: int(1) });
    const picked = g.op('Reshape', [
      g.op('MatMul', [weights, stats]),
      g.int64s(`referent_${r}_shape`, [-1, KEYPOINT_STATS.length]),
    ]);
    return { picked, found };
  });
  const block = g.op(
    'Concat',
    parts.flatMap((p, r) => [
      g.op('Mul', [p.picked, g.floats(`referent_${r}_gain`, [], [REFERENT_GAIN])]),
      p.found,
    ]),
    { axis: int(1) },
  );
  // Centroid x, y of each referent [n, 2]
  const centroids = parts.map((p, r) => columns(g, p.picked, 1, 3, `referent_${r}_xy`));
  return { block, centroids };
}

/** The pinhole camera's axes in the world, and the tangent of half its field of view. */
function cameraBasis(pose: CameraPose): { forward: Vec3; right: Vec3; up: Vec3; tan: number } {
  const forward = normalize(sub(pose.target, pose.position));
  const right = normalize(cross(forward, [0, 0, 1]));
  return { forward, right, up: cross(right, forward), tan: Math.tan((pose.fovy * Math.PI) / 360) };
}

/** Columns [start, end) of a [n, k] tensor. */
function columns(g: OnnxGraphBuilder, input: string, start: number, end: number, name: string): string {
  return g.op('Slice', [
    input,
    g.int64s(`${name}_start`, [start]),
    g.int64s(`${name}_end`, [end]),
    g.int64s(`${name}_axes`, [1]),
  ]);
}

/**
 * World points [n, 3] → image coordinates [n, 2] in the keypoints' convention (x right, y down, both
 * in [-1, 1] across the image), through the pinhole camera `pose` with a square image.
 */
function projectToImage(g: OnnxGraphBuilder, pose: CameraPose, points: string, name: string): string {
  const { forward, right, up, tan } = cameraBasis(pose);
  // Columns: right / tan, -up / tan, forward → [x·depth, y·depth, depth]
  const m = [0, 1, 2].flatMap((i) => [right[i]! / tan, -up[i]! / tan, forward[i]!]);
  const cam = g.op('MatMul', [
    g.op('Sub', [points, g.floats(`${name}_camera_position`, [3], pose.position)]),
    g.floats(`${name}_camera_basis`, [3, 3], m),
  ]);
  return g.op('Div', [columns(g, cam, 0, 2, `${name}_xy`), columns(g, cam, 2, 3, `${name}_depth`)]);
}

/**
 * Image coordinates [n, 2] (projectToImage's convention) → the world x, y [n, 2] where their camera ray
 * meets the horizontal plane z = `height`.
 */
function imageToPlane(
  g: OnnxGraphBuilder,
  pose: CameraPose,
  image: string,
  height: number,
  name: string,
): string {
  const { forward, right, up, tan } = cameraBasis(pose);
  // The inverse of projectToImage's mapping: ray = forward + x·tan·right − y·tan·up
  const rows = [...right.map((v) => v * tan), ...up.map((v) => -v * tan)];
  const ray = g.op('Add', [
    g.op('MatMul', [image, g.floats(`${name}_ray_basis`, [2, 3], rows)]),
    g.floats(`${name}_ray_forward`, [3], forward),
  ]);
  // The camera looks down, so the ray's z is negative and the plane is met in front of it.
  const t = g.op('Div', [
    g.floats(`${name}_plane_drop`, [], [height - pose.position[2]]),
    columns(g, ray, 2, 3, `${name}_ray_z`),
  ]);
  return g.op('Add', [
    g.floats(`${name}_camera_xy`, [2], [pose.position[0], pose.position[1]]),
    g.op('Mul', [t, columns(g, ray, 0, 2, `${name}_ray_xy`)]),
  ]);
}

/** TCP [n, 3] and referent centroids → the hand-eye block (see the header). */
function handEyeBlock(
  g: OnnxGraphBuilder,
  c: DefaultEncoderConfig,
  tcp: string,
  centroids: string[],
): string {
  const tcpImage = projectToImage(g, c.camera, tcp, 'tcp');
  const below = g.op('Add', [
    g.op('Mul', [tcp, g.floats('drop_to_table_scale', [3], [1, 1, 0])]),
    g.floats('drop_to_table_height', [3], [0, 0, c.tableHeight]),
  ]);
  const belowImage = projectToImage(g, c.camera, below, 'below_tcp');
  const tcpXy = columns(g, tcp, 0, 2, 'tcp_world_xy');
  const offsets = centroids.map((xy, r) => {
    const onTable = imageToPlane(g, c.camera, xy, c.tableHeight, `referent_${r}`);
    return g.op('Mul', [
      g.op('Sub', [onTable, tcpXy]),
      g.floats(`referent_${r}_offset_gain`, [], [OFFSET_GAIN]),
    ]);
  });
  return g.op('Concat', [tcpImage, belowImage, ...offsets], { axis: int(1) });
}

/** Joint positions (rad, m) → scaled joints, sin/cos of the arm joints, TCP position and axes. */
function proprioBlock(
  g: OnnxGraphBuilder,
  c: DefaultEncoderConfig,
  joints: string,
): { block: string; tcp: string } {
  const all = [...PANDA_ARM, ...PANDA_FINGERS];
  const mid = all.map((j) => (j.range[0] + j.range[1]) / 2);
  const half = all.map((j) => (j.range[1] - j.range[0]) / 2);
  const scaled = g.op('Div', [
    g.op('Sub', [joints, g.floats('joint_mid', [all.length], mid)]),
    g.floats('joint_half', [all.length], half),
  ]);
  const arm = g.op(
    'Gather',
    [
      joints,
      g.int64s(
        'arm_joints',
        PANDA_ARM.map((_, i) => i),
      ),
    ],
    { axis: int(1) },
  );
  const trig = [g.op('Sin', [arm]), g.op('Cos', [arm])];

  // Forward kinematics: p ← p + R·pos_i, R ← R·R_i·Rz(q_i) down the chain, on [n, 3, 3] batches.
  const rzCos = g.floats('rz_cos', [1, 3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 0]);
  const rzSin = g.floats('rz_sin', [1, 3, 3], [0, -1, 0, 1, 0, 0, 0, 0, 0]);
  const rzOne = g.floats('rz_one', [1, 3, 3], [0, 0, 0, 0, 0, 0, 0, 0, 1]);
  const perStep = g.int64s('per_step_scalar', [-1, 1, 1]);
  let R = g.floats('fk_identity', [1, 3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  let p = g.floats('fk_origin', [1, 3, 1], [0, 0, 0]);
  PANDA_ARM.forEach((link, i) => {
    p = g.op('Add', [p, g.op('MatMul', [R, g.floats(`${link.joint}_pos`, [3, 1], link.pos)])]);
    const q = g.op('Reshape', [
      g.op('Gather', [joints, g.int64s(`${link.joint}_index`, [i])], { axis: int(1) }),
      perStep,
    ]);
    const rz = g.op('Add', [
      g.op('Add', [g.op('Mul', [g.op('Cos', [q]), rzCos]), g.op('Mul', [g.op('Sin', [q]), rzSin])]),
      rzOne,
    ]);
    R = g.op('MatMul', [
      g.op('MatMul', [R, g.floats(`${link.joint}_rot`, [3, 3], quatToMatrix(link.quat))]),
      rz,
    ]);
  });
  const handRot = quatToMatrix(PANDA_HAND.quat);
  const tcpInLink7 = [0, 1, 2].map(
    (r) =>
      PANDA_HAND.pos[r]! + [0, 1, 2].reduce((s, k) => s + handRot[3 * r + k]! * PANDA_TCP_IN_HAND[k]!, 0),
  );
  const tcp = g.op('Add', [p, g.op('MatMul', [R, g.floats('tcp_offset', [3, 1], tcpInLink7)])]);
  const tcpWorld = g.op('Reshape', [tcp, g.int64s('per_step_vector', [-1, 3])]);
  const tcpScaled = g.op('Div', [
    g.op('Sub', [tcpWorld, g.floats('workspace_centre', [3], c.workspaceCentre)]),
    g.floats('workspace_scale', [], [c.workspaceScale]),
  ]);
  const tcpRot = g.op('MatMul', [R, g.floats('hand_rot', [3, 3], handRot)]);
  // The hand's x axis (normal to the finger travel) and z axis (approach direction), in the base frame.
  const axesTaken = g.op('Gather', [tcpRot, g.int64s('tcp_axes', [0, 2])], { axis: int(2) });
  const tcpAxes = g.op('Reshape', [axesTaken, g.int64s('per_step_axes', [-1, 6])]);
  return { block: g.op('Concat', [scaled, ...trig, tcpScaled, tcpAxes], { axis: int(1) }), tcp: tcpWorld };
}

/** Token ids [n, L] (0 = padding) → Σ embeddings / √count. */
function instructionBlock(g: OnnxGraphBuilder, c: DefaultEncoderConfig, ids: string): string {
  const table = g.floats(
    'embedding',
    [c.vocabSize, c.embedding],
    seededNormal(c.vocabSize * c.embedding, 1, c.seed, EMBEDDING_STREAM),
  );
  const present = g.op('Cast', [g.op('Greater', [ids, g.int64s('padding_id', [0])])], { to: int(1) });
  const mask = g.op('Unsqueeze', [present, g.int64s('embedding_axis', [2])]);
  const tokenAxis = g.int64s('token_axis', [1]);
  const summed = g.op(
    'ReduceSum',
    [g.op('Mul', [g.op('Gather', [table, ids], { axis: int(0) }), mask]), tokenAxis],
    {
      keepdims: int(0),
    },
  );
  const count = g.op('ReduceSum', [present, tokenAxis], { keepdims: int(1) });
  return g.op('Div', [summed, g.op('Sqrt', [g.op('Max', [count, g.floats('one_token', [], [1])])])]);
}

export function buildDefaultEncoder(config: DefaultEncoderConfig = DEFAULT_ENCODER_CONFIG): DefaultEncoder {
  const c = config;
  const S = c.imageSize;
  if (S % c.rgbGrid !== 0 || S % c.hueGrid !== 0)
    throw new Error(`imageSize ${S} must be a multiple of rgbGrid ${c.rgbGrid} and hueGrid ${c.hueGrid}`);
  const g = new OnnxGraphBuilder('grape_default_encoder');
  const image = g.input(ENCODER_INPUTS.image, 'float', ['n', 3, S, S]);
  const joints = g.input(ENCODER_INPUTS.joints, 'float', ['n', PANDA_ARM.length + PANDA_FINGERS.length]);
  const ids = g.input(ENCODER_INPUTS.instruction, 'int64', ['n', c.maxTokens]);

  const { rgbGrid, hueGrid, keypoints, stats } = imageBlocks(g, c, image);
  const proprio = proprioBlock(g, c, joints);
  const referents = referentBlock(g, c, ids, stats);
  const parts = [
    rgbGrid,
    hueGrid,
    keypoints,
    proprio.block,
    instructionBlock(g, c, ids),
    referents.block,
    handEyeBlock(g, c, proprio.tcp, referents.centroids),
  ];
  const sizes = [
    3 * c.rgbGrid ** 2,
    c.hues * c.hueGrid ** 2,
    KEYPOINT_STATS.length * c.hues,
    PANDA_ARM.length + PANDA_FINGERS.length + 2 * PANDA_ARM.length + 3 + 6,
    c.embedding,
    REFERENTS * (KEYPOINT_STATS.length + 1),
    4 + 2 * REFERENTS,
  ];
  const F = sizes.reduce((a, b) => a + b, 0);
  g.op('Concat', parts, { axis: int(1) }, ENCODER_OUTPUT);
  g.output(ENCODER_OUTPUT, 'float', ['n', F]);

  const descriptions: [string, string][] = [
    ['rgb-grid', `mean R, G, B of ${c.rgbGrid}×${c.rgbGrid} cells, channel-major, mapped to [-1, 1]`],
    [
      'hue-grid',
      `membership of ${c.hues} hues (${360 / c.hues}° apart from red, unsaturated pixels gated out) pooled over ${c.hueGrid}×${c.hueGrid} cells, hue-major, ×4`,
    ],
    [
      'hue-keypoints',
      `per hue: 4·sqrt(mass fraction), centroid x, centroid y, spread x, spread y (image coords in [-1, 1]); stat-major`,
    ],
    [
      'proprio',
      'joint positions scaled to [-1, 1] by their ranges (9), sin (7) and cos (7) of the arm joints, TCP position ((p - centre) / scale, 3), hand x and z (approach) axes as R00, R02, R10, R12, R20, R22 (6)',
    ],
    [
      'instruction',
      `Σ embedding(id) / √count over word and word-pair ids (${c.embedding} dims, fixed seeded table)`,
    ],
    [
      'referents',
      `per colour word of the instruction (first, second): ${REFERENT_GAIN}× the membership-weighted hue keypoint stats (mass, x, y, spread x, spread y), then 1 if the word is there`,
    ],
    [
      'hand-eye',
      `image x, y of the TCP and of the table point below it (z = ${c.tableHeight} m) through the calibrated camera, then per referent ${OFFSET_GAIN}× (where its centroid's camera ray meets the plane z = ${c.tableHeight} m, minus the TCP's x, y), in m`,
    ],
  ];
  let offset = 0;
  const blocks = descriptions.map(([name, description], i) => {
    const block = { name, offset, size: sizes[i]!, description };
    offset += sizes[i]!;
    return block;
  });
  return {
    onnx: g.build({ docString: `grape default encoder (seed ${c.seed}); built by src/policy/default-model` }),
    features: F,
    blocks,
  };
}
