/** A small seeded PRNG so generated reference data is the same on every run and every machine. */

/** Deterministic random source; `derive` gives independent streams without depending on how much was drawn. */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
  /** Integer in [0, count). */
  int(count: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** A new generator seeded from this one's seed and `parts`, independent of this one's state. */
  derive(...parts: number[]): SeededRandom;
}

/** Creates a mulberry32 generator; the same seed always yields the same sequence. */
export function createSeededRandom(seed: number): SeededRandom {
  const base = hashParts([seed]);
  let state = base;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (count) => Math.floor(next() * count),
    chance: (p) => next() < p,
    shuffle: (items) => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j], copy[i]];
      }
      return copy;
    },
    derive: (...parts) => createSeededRandom(hashParts([base, ...parts])),
  };
}

/** Mixes integers into one 32-bit seed (murmur3 finaliser) so nearby seeds give unrelated streams. */
function hashParts(parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (Math.floor(part) >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
