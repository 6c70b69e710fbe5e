// The chime the web client plays for kinds with `sound` on: a short two-note bell, synthesized
// here so the repository holds its recipe, not only a binary. `npx tsx web/chime.ts` writes
// web/public/chime.wav (Vite copies it into the build); tests/web/chime.test.ts checks the
// committed file is what this makes.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const sampleRate = 22_050;
const seconds = 0.45;

/** The chime as a 16-bit mono PCM WAV file (about 20 KB). */
export function chimeWav(): Uint8Array {
  const samples = Math.round(sampleRate * seconds);
  const data = new Int16Array(samples);
  // Two notes a fifth apart (E6 then B6), each a sine with a quick attack and an exponential decay.
  const notes = [
    { frequency: 1318.5, start: 0, decay: 9 },
    { frequency: 1975.5, start: 0.09, decay: 8 },
  ];
  for (let i = 0; i < samples; i += 1) {
    const t = i / sampleRate;
    let value = 0;
    for (const { frequency, start, decay } of notes) {
      if (t < start) continue;
      const local = t - start;
      const attack = Math.min(1, local / 0.005);
      value += 0.32 * attack * Math.exp(-decay * local) * Math.sin(2 * Math.PI * frequency * local);
    }
    data[i] = Math.round(Math.max(-1, Math.min(1, value)) * 32_767);
  }
  const header = new DataView(new ArrayBuffer(44));
  const text = (offset: number, value: string) => {
    for (let i = 0; i < value.length; i += 1) header.setUint8(offset + i, value.charCodeAt(i));
  };
  text(0, 'RIFF');
  header.setUint32(4, 36 + data.byteLength, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  header.setUint32(16, 16, true); // the size of this chunk
  header.setUint16(20, 1, true); // PCM
  header.setUint16(22, 1, true); // mono
  header.setUint32(24, sampleRate, true);
  header.setUint32(28, sampleRate * 2, true); // bytes per second
  header.setUint16(32, 2, true); // bytes per frame
  header.setUint16(34, 16, true); // bits per sample
  text(36, 'data');
  header.setUint32(40, data.byteLength, true);
  const file = new Uint8Array(44 + data.byteLength);
  file.set(new Uint8Array(header.buffer), 0);
  file.set(new Uint8Array(data.buffer), 44);
  return file;
}

export const chimeFile = path.join(import.meta.dirname, 'public', 'chime.wav');

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  writeFileSync(chimeFile, chimeWav());
  process.stdout.write(`wrote ${path.relative(process.cwd(), chimeFile)}\n`);
}
