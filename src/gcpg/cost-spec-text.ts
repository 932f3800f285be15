// A cost spec as people read it: each stage with its completion conditions and weighted terms in a
// compact notation (`grape costs show`); the JSON stays the thing that is edited.
import {
  END_EFFECTOR,
  INCREMENT_MEASURES,
  type Bound,
  type CostSpec,
  type Measure,
  type PointSpec,
} from './cost-spec.js';

function measureText(m: Measure): string {
  switch (m.kind) {
    case 'distance':
    case 'xy_distance':
      return `${m.kind}(${m.from}, ${m.to})`;
    case 'height':
      return `height(${m.point}${m.over ? ` over ${m.over}` : ''})`;
    case 'gripper_closed':
      return 'gripper_closed';
    case 'grasped':
      return `grasped(${m.object ?? 'anything'})`;
    case 'contact_count':
    case 'contact_force':
      return `${m.kind}(${m.with === undefined ? 'collisions' : m.with.join('+')})`;
    case 'speed':
    case 'jerk':
      return `${m.kind}(${m.point ?? END_EFFECTOR})`;
    case 'path_length':
    case 'duration':
      return m.kind;
  }
}

function boundText(b: Bound): string {
  if (b.is !== undefined) return ` is ${b.is}`;
  const parts = [];
  if (b.above !== undefined) parts.push(`≥ ${b.above}`);
  if (b.below !== undefined) parts.push(`≤ ${b.below}`);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}

function pointText(p: PointSpec): string {
  const offset = p.offset ? ` + [${p.offset.join(', ')}]` : '';
  switch (p.kind) {
    case 'role':
      return `${p.name} = the ${p.role}${p.at === 'start' ? ' where it started' : ''}${offset}`;
    case 'object':
      return `${p.name} = object ${p.object}${p.at === 'start' ? ' where it started' : ''}${offset}`;
    case 'pixel':
      return `${p.name} = pixel (${p.u}, ${p.v}) of the first frame${offset}`;
  }
}

export function costSpecText(spec: CostSpec): string {
  const lines = [`${spec.task} (${spec.objective}): ${spec.summary}`];
  lines.push(`points: ${[`${END_EFFECTOR} = the end effector`, ...spec.points.map(pointText)].join('; ')}`);
  spec.stages.forEach((stage, i) => {
    lines.push(`${i + 1}. ${stage.name} (τ ${stage.tau}): ${stage.description}`);
    lines.push(
      `   done when ${stage.doneWhen.map((c) => `${measureText(c.measure)}${boundText(c)}`).join(' and ')}`,
    );
    stage.terms.forEach((t, k) => {
      const how = t.aggregate ?? (INCREMENT_MEASURES.includes(t.measure.kind) ? 'sum' : 'mean');
      lines.push(
        `   ${k === 0 ? 'cost' : '   +'} ${t.weight} × ${how} ${measureText(t.measure)}${boundText(t)}`,
      );
    });
  });
  return lines.join('\n');
}
