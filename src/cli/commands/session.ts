// grape session <subcommand>: a technician's session of episodes (what the ROS node records between
// two ~/end_session calls).
import type { CommandModule } from 'yargs';

import type { GlobalArgs } from '../global-args.js';
import { sessionEndCommand } from './session-end.js';

export const sessionCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'session <subcommand>',
  describe: 'End a session: score, pair and train on its episodes in the background',
  builder: (y) =>
    y.command(sessionEndCommand).demandCommand(1, 'name a session subcommand (grape session --help)'),
  handler: () => undefined,
};
