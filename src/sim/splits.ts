// Generalization splits in the manner of the GRAPE paper's: one in-domain distribution for training and
// four held-out ones that each change one thing. A SplitSampler draws everything a split varies, so
// task templates stay split-agnostic. Scene draws (objects, layout) and style draws (phrasing, looks)
// come from two streams keyed by task and seed, so one never shifts the other: seed s of the semantic
// and visual splits is seed s of in-domain with only the phrasing, or only the looks, changed.
//   subject   — the objects the instruction names have unseen colours (and the target an unseen shape)
//   physical  — unseen object sizes, masses and friction
//   semantic  — unseen phrasings of the instruction
//   visual    — unseen table colours, lighting and background
import {
  IN_DOMAIN_COLOURS,
  IN_DOMAIN_SHAPES,
  makeFixture,
  makeObject,
  UNSEEN_COLOURS,
  UNSEEN_SHAPES,
  type Colour,
  type FixtureType,
  type ObjectProperties,
  type ObjectShape,
} from './object-catalog.js';
import type { Vec3 } from './rotation.js';
import type { Lighting, Rgba, SceneFixture, SceneObject, SceneSpec } from './scene-spec.js';
import type { SeededRandom } from './seeded-random.js';

export const SPLITS = ['in-domain', 'subject', 'physical', 'semantic', 'visual'] as const;
export type SplitName = (typeof SPLITS)[number];

export function isSplitName(value: string): value is SplitName {
  return (SPLITS as readonly string[]).includes(value);
}

const IN_DOMAIN_TABLE: Rgba = [0.62, 0.5, 0.38, 1];
const IN_DOMAIN_BACKGROUND: [number, number, number] = [0.78, 0.8, 0.83];
const IN_DOMAIN_LIGHTING: Lighting = { direction: [-0.45, -0.1, -1], diffuse: 0.75, ambient: 0.35 };

const VISUAL_TABLES: readonly Rgba[] = [
  [0.25, 0.3, 0.45, 1],
  [0.22, 0.42, 0.26, 1],
  [0.88, 0.88, 0.86, 1],
  [0.32, 0.32, 0.34, 1],
];
const VISUAL_BACKGROUNDS: readonly [number, number, number][] = [
  [0.35, 0.3, 0.28],
  [0.9, 0.88, 0.75],
  [0.55, 0.65, 0.8],
];
const VISUAL_LIGHT_DIRECTIONS: readonly Vec3[] = [
  [0.3, 0.55, -1],
  [-0.2, -0.65, -0.8],
  [0.5, -0.3, -1],
];

export class SplitSampler {
  private readonly usedObjects = new Set<string>();
  private readonly usedColours = new Set<string>();

  constructor(
    readonly split: SplitName,
    private readonly rng: SeededRandom,
    private readonly styleRng: SeededRandom,
  ) {}

  /**
   * An object the instruction names (its colour differs from every other named thing's). Under the
   * subject split its colour is unseen, and so is its shape when `target` is set.
   */
  namedObject(options: { shapes?: readonly ObjectShape[]; target?: boolean } = {}): SceneObject {
    const subject = this.split === 'subject';
    const colours = (subject ? UNSEEN_COLOURS : IN_DOMAIN_COLOURS).filter(
      (c) => !this.usedColours.has(c.name),
    );
    const shapes = subject && options.target ? UNSEEN_SHAPES : (options.shapes ?? IN_DOMAIN_SHAPES);
    const [colour, shape] = this.rng.pick(
      colours
        .flatMap((c) => shapes.map((s) => [c, s] as const))
        .filter(([c, s]) => !this.usedObjects.has(`${c.name}_${s}`)),
    );
    this.usedColours.add(colour.name);
    return this.object(colour, shape);
  }

  /**
   * Distractors: seen colours and shapes, each (colour, shape) used once per scene, never in a colour the
   * instruction names, so the colour words alone pick out what to act on. Draw them after the named things.
   */
  distractors(count: number): SceneObject[] {
    const free = IN_DOMAIN_COLOURS.filter((c) => !this.usedColours.has(c.name))
      .flatMap((c) => IN_DOMAIN_SHAPES.map((s) => [c, s] as const))
      .filter(([c, s]) => !this.usedObjects.has(`${c.name}_${s}`));
    if (free.length < count)
      throw new Error(`the scene has room for ${free.length} distractors, not ${count}`);
    return this.rng
      .shuffle(free)
      .slice(0, count)
      .map(([c, s]) => this.object(c, s));
  }

  /** A fixture the instruction names; its colour differs from the other named things'. */
  namedFixture(type: FixtureType): SceneFixture {
    const palette = this.split === 'subject' ? UNSEEN_COLOURS : IN_DOMAIN_COLOURS;
    const colour = this.rng.pick(palette.filter((c) => !this.usedColours.has(c.name)));
    this.usedColours.add(colour.name);
    return makeFixture(type, colour);
  }

  /** An obstacle: grey in every split (it is not what the instruction is about). */
  obstacle(type: FixtureType): SceneFixture {
    return makeFixture(type, { name: 'grey', rgba: [0.55, 0.55, 0.57, 1] });
  }

  /** One of the task's phrasings, with `{target}`-style slots filled. */
  instruction(
    inDomain: readonly string[],
    semantic: readonly string[],
    words: Record<string, string>,
  ): string {
    const template = this.styleRng.pick(this.split === 'semantic' ? semantic : inDomain);
    return template.replace(/\{(\w+)\}/g, (_, key: string) => {
      const word = words[key];
      if (word === undefined) throw new Error(`instruction "${template}" needs a word for {${key}}`);
      return word;
    });
  }

  scene(objects: SceneObject[], fixtures: SceneFixture[]): SceneSpec {
    const jitter = () => this.rng.uniform(-0.03, 0.03);
    const [r, g, b] = IN_DOMAIN_TABLE;
    const table: Rgba = [r + jitter(), g + jitter(), b + jitter(), 1];
    if (this.split !== 'visual') {
      return {
        objects,
        fixtures,
        tableRgba: table,
        background: IN_DOMAIN_BACKGROUND,
        lighting: IN_DOMAIN_LIGHTING,
      };
    }
    const style = this.styleRng;
    return {
      objects,
      fixtures,
      tableRgba: style.pick(VISUAL_TABLES),
      background: style.pick(VISUAL_BACKGROUNDS),
      lighting: {
        direction: style.pick(VISUAL_LIGHT_DIRECTIONS),
        diffuse: style.uniform(0.45, 0.95),
        ambient: style.uniform(0.2, 0.5),
      },
    };
  }

  private object(colour: Colour, shape: ObjectShape): SceneObject {
    this.usedObjects.add(`${colour.name}_${shape}`);
    return makeObject(colour, shape, this.properties());
  }

  private properties(): ObjectProperties {
    const rng = this.rng;
    if (this.split !== 'physical') {
      return {
        sizeScale: rng.uniform(0.95, 1.05),
        mass: rng.uniform(0.06, 0.1),
        friction: rng.uniform(0.9, 1.1),
      };
    }
    const smaller = rng.next() < 0.5;
    return {
      sizeScale: smaller ? rng.uniform(0.8, 0.86) : rng.uniform(1.16, 1.24),
      mass: rng.uniform(0.25, 0.4),
      friction: rng.uniform(0.45, 0.6),
    };
  }
}
