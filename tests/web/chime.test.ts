import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chimeFile, chimeWav } from '../../web/chime.ts';

describe('the chime', () => {
  it('the committed web/public/chime.wav is what web/chime.ts makes: a short 16-bit mono WAV', () => {
    const made = chimeWav();
    expect(Buffer.from(readFileSync(chimeFile)).equals(Buffer.from(made))).toBe(true);
    const header = new DataView(made.buffer);
    expect(new TextDecoder().decode(made.subarray(0, 4))).toBe('RIFF');
    expect(new TextDecoder().decode(made.subarray(8, 12))).toBe('WAVE');
    const seconds = header.getUint32(40, true) / header.getUint32(28, true);
    expect(seconds).toBeGreaterThan(0.2);
    expect(seconds).toBeLessThan(1);
    expect(made.byteLength).toBeLessThan(32_000);
  });
});
