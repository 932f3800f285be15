// Instruction tokens: hashed words and word pairs, reproducible, bounded, errors for empty and too long.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InstructionTokenizer, fnv1a32, instructionWords } from '../src/policy/instruction-tokenizer.js';
import type { InstructionSpec } from '../src/policy/model-manifest.js';

const spec: InstructionSpec = {
  input: 'instruction',
  tokenizer: 'word-hash',
  vocabSize: 4096,
  maxTokens: 8,
  ngrams: 2,
};

describe('instruction tokenizer', () => {
  it('hashes with FNV-1a over UTF-8 (published test vectors)', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  it('splits into lower-case words, ignoring punctuation and Unicode width', () => {
    assert.deepEqual(instructionWords('  Pick up the RED cube, then stop! '), [
      'pick',
      'up',
      'the',
      'red',
      'cube',
      'then',
      'stop',
    ]);
    assert.deepEqual(instructionWords('ＰＵＴ it in bowl #2'), ['put', 'it', 'in', 'bowl', '2']);
  });

  it('emits words then adjacent pairs, padded with 0, ids in [1, vocab)', () => {
    const t = new InstructionTokenizer(spec);
    const ids = t.encode('put red on blue');
    const id = (term: string) => BigInt(1 + (fnv1a32(term) % 4095));
    assert.deepEqual(Array.from(ids), [
      id('put'),
      id('red'),
      id('on'),
      id('blue'),
      id('put red'),
      id('red on'),
      id('on blue'),
      0n,
    ]);
    assert.ok(ids.every((v) => v >= 0n && v < 4096n));
  });

  it('keeps word order apart through the pairs, and case/punctuation out', () => {
    const t = new InstructionTokenizer(spec);
    const sorted = (s: string) => Array.from(t.encode(s)).sort().join();
    assert.notEqual(sorted('red on blue'), sorted('blue on red'));
    assert.deepEqual(t.encode('Red on blue.'), t.encode('red on blue'));
    const words = new InstructionTokenizer({ ...spec, ngrams: 1 });
    assert.equal(
      Array.from(words.encode('red on blue')).sort().join(),
      Array.from(words.encode('blue on red')).sort().join(),
    );
  });

  it('refuses an instruction without words or with more tokens than the model takes', () => {
    const t = new InstructionTokenizer(spec);
    assert.throws(() => t.encode(' ?! '), /instruction: " \?! " has no words/);
    assert.throws(
      () => t.encode('one two three four five'),
      /5 words make 9 tokens; the model takes at most 8/,
    );
    assert.equal(t.encode('one two three four').filter((v) => v !== 0n).length, 7);
  });
});
