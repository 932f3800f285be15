// For test/bag-reader.test.ts: SQLite is opened before the bag reader is loaded, so better-sqlite3
// starts without URI filenames and the reader must fall back to reading a private copy. Prints
// the message count of the bag given.
import Database from 'better-sqlite3';

new Database(':memory:').close();
const { BagReader } = await import('../../src/bag/bag-reader.js');
const bag = await BagReader.open(process.argv[2]!);
let n = 0;
for await (const m of bag.decoded()) n += m.message === undefined ? 0 : 1;
await bag.close();
process.stdout.write(`${n}\n`);
