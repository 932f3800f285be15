// Wiring: training runs (src/tpo) on the native addon's trainer.
import { NativeHeadTrainer } from '../native/native-trainer.js';
import type { TrainerFactory } from '../tpo/training-job.js';

/** `device`: 'auto' (default: CUDA when there is a GPU), 'cpu', 'cuda' or 'cuda:N'. */
export function nativeTrainerFactory(device = 'auto'): TrainerFactory {
  return (spec, config, initial) => new NativeHeadTrainer(spec, config, initial, { device });
}
