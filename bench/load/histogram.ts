/**
 * A log-linear latency histogram in the spirit of HdrHistogram.
 *
 * Values are non-negative integers (the load generator records microseconds).
 * Values below 2·S (S = 2^subBucketBits) get one bucket each, so they are
 * exact. Above that, every power-of-two range is split into S equal buckets,
 * so a reported value is never more than 1/S above the true one (0.8 % with
 * the default of 7 bits). Memory is fixed (a few thousand counters) and
 * recording is a handful of integer operations, cheap enough for the hot path
 * of a load generator.
 */

export interface HistogramSummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Values are clamped to 32 bits (about 71 minutes in microseconds). */
const valueMax = 0xffff_ffff;

export class Histogram {
  private readonly subBucketBits: number;
  private readonly subBucketCount: number;
  private readonly counts: Float64Array;
  private total = 0;
  private sum = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = 0;

  constructor(subBucketBits = 7) {
    if (!Number.isInteger(subBucketBits) || subBucketBits < 1 || subBucketBits > 16) {
      throw new RangeError(`subBucketBits must be an integer in 1..16, got ${subBucketBits}`);
    }
    this.subBucketBits = subBucketBits;
    this.subBucketCount = 1 << subBucketBits;
    // The largest shift is 32 - 1 - bits; see indexOf.
    this.counts = new Float64Array(this.indexOf(valueMax) + 1);
  }

  /** Bucket index of an integer value in 0..valueMax. */
  private indexOf(value: number): number {
    const s = this.subBucketCount;
    if (value < 2 * s) return value;
    const highestBit = 31 - Math.clz32(value);
    const shift = highestBit - this.subBucketBits;
    // (value >>> shift) is in [S, 2S); the first shifted range starts at index 2S.
    return s * shift + (value >>> shift);
  }

  /** Largest value that lands in the same bucket as index. */
  private highestInBucket(index: number): number {
    const s = this.subBucketCount;
    if (index < 2 * s) return index;
    const shift = Math.floor(index / s) - 1;
    const mantissa = index - s * shift;
    return (mantissa + 1) * 2 ** shift - 1;
  }

  record(value: number, count = 1): void {
    let v = Math.round(value);
    if (!(v > 0)) v = 0; // also catches NaN
    if (v > valueMax) v = valueMax;
    this.counts[this.indexOf(v)] += count;
    this.total += count;
    this.sum += v * count;
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxValue) this.maxValue = v;
  }

  get count(): number {
    return this.total;
  }

  /** Adds another histogram's counts (same subBucketBits) into this one. */
  merge(other: Histogram): void {
    if (other.subBucketBits !== this.subBucketBits) {
      throw new RangeError('cannot merge histograms with different precision');
    }
    for (let i = 0; i < other.counts.length; i++) this.counts[i] += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    if (other.minValue < this.minValue) this.minValue = other.minValue;
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
  }

  /**
   * The value at or below which `percentile` % of recorded values fall,
   * reported as the top of its bucket (never above the recorded maximum).
   */
  percentile(percentile: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(Math.max(percentile, 0), 100) / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.highestInBucket(i), this.maxValue);
    }
    return this.maxValue;
  }

  summary(): HistogramSummary {
    const empty = this.total === 0;
    return {
      count: this.total,
      min: empty ? 0 : this.minValue,
      mean: empty ? 0 : this.sum / this.total,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.maxValue,
    };
  }
}
