// grape bag <subcommand>: tools for rosbag2 bags (any bag, not only grape's episodes).
import type { CommandModule } from 'yargs';

import type { GlobalArgs } from '../global-args.js';
import { bagInfoCommand } from './bag-info.js';

export const bagCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'bag <subcommand>',
  describe: 'Inspect rosbag2 bags (MCAP or sqlite3)',
  builder: (y) => y.command(bagInfoCommand).demandCommand(1, 'name a bag subcommand (grape bag --help)'),
  handler: () => undefined,
};
