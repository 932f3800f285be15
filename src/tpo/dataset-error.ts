// Recorded episodes that cannot become training data as asked (missing features, a head of another
// size, no episodes left after filtering): the message names the episode, step and what was wrong.
export class DatasetError extends Error {
  override name = 'DatasetError';
}
