// Instruction text → token ids by hashing words (and adjacent word pairs) into a fixed vocabulary:
// reproducible everywhere with no vocabulary file, and word pairs keep "red on blue" apart from
// "blue on red". Id 0 is padding; a collision merely shares an embedding row.
import type { InstructionSpec } from './model-manifest.js';
import { PolicyInputError } from './policy-input-error.js';

/** FNV-1a over the UTF-8 bytes of `text`, as an unsigned 32-bit integer. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Lower-cased words: runs of letters and digits, after Unicode compatibility normalization. */
export function instructionWords(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

export class InstructionTokenizer {
  constructor(readonly spec: Readonly<InstructionSpec>) {}

  private id(term: string): number {
    return 1 + (fnv1a32(term) % (this.spec.vocabSize - 1));
  }

  /** Token ids padded with 0 to maxTokens; an empty or too long instruction is an error. */
  encode(instruction: string): BigInt64Array {
    const words = instructionWords(instruction);
    if (words.length === 0)
      throw new PolicyInputError('instruction', `${JSON.stringify(instruction)} has no words`);
    const terms = [...words];
    if (this.spec.ngrams === 2)
      for (let i = 0; i + 1 < words.length; i++) terms.push(`${words[i]} ${words[i + 1]}`);
    const max = this.spec.maxTokens;
    if (terms.length > max)
      throw new PolicyInputError(
        'instruction',
        `${words.length} words make ${terms.length} tokens; the model takes at most ${max} ` +
          `(${JSON.stringify(instruction)})`,
      );
    const ids = new BigInt64Array(max);
    terms.forEach((t, i) => (ids[i] = BigInt(this.id(t))));
    return ids;
  }
}
