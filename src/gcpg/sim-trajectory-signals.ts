// The simulator's per-step signals as TrajectorySignals: privileged object and fixture poses, the
// gripper's command, width and grasped object, and classified contacts with force.
import type { RobotContact, StepSignals } from '../sim/step-signals.js';
import type { TaskRoles } from '../sim/task-spec.js';
import type { ContactClass, Vec3 } from './cost-spec.js';
import type { ContactSample, SignalSample, TrajectorySignals } from './trajectory-signals.js';

function contactClass(c: RobotContact): ContactClass {
  if (c.target) return 'target';
  return c.kind;
}

function sample(s: StepSignals): SignalSample {
  const objects: Record<string, Vec3> = {};
  const velocities: Record<string, Vec3> = {};
  for (const [name, pose] of Object.entries(s.fixtures)) {
    objects[name] = [...pose.position];
    velocities[name] = [0, 0, 0];
  }
  for (const [name, o] of Object.entries(s.objects)) {
    objects[name] = [...o.position];
    velocities[name] = [...o.velocity];
  }
  const contacts: ContactSample[] = s.contacts.map((c) => ({
    other: c.other,
    class: contactClass(c),
    force: c.force,
  }));
  return {
    time: s.time,
    ee: [...s.ee.position],
    gripper: {
      closed: s.gripper.command === 'close',
      width: s.gripper.width,
      grasped: s.gripper.grasped,
      holding: s.gripper.grasped !== null,
    },
    objects,
    velocities,
    contacts,
  };
}

/** `steps` in time order (the reset state first, if it is included). */
export function simTrajectorySignals(
  steps: readonly StepSignals[],
  roles: TaskRoles,
  source = 'simulator',
): TrajectorySignals {
  return {
    source,
    samples: steps.map(sample),
    roles: {
      target: roles.target,
      ...(roles.destination !== undefined ? { destination: roles.destination } : {}),
    },
    staticPoints: {},
    // The simulator's world frame has the table top at z = 0.
    tableHeight: 0,
    contactsClassified: true,
  };
}
