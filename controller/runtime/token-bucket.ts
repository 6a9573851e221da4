// A token bucket: `burst` tokens, refilled at `perSecond`. Pure apart from the
// clock, which the caller passes in.

export interface TokenBucketOptions {
  perSecond: number;
  burst: number;
}

export class TokenBucket {
  readonly #options: TokenBucketOptions;
  #tokens: number;
  #updatedMs: number;

  constructor(options: TokenBucketOptions, nowMs: number) {
    this.#options = options;
    this.#tokens = options.burst;
    this.#updatedMs = nowMs;
  }

  /** Takes a token if one is left. */
  take(nowMs: number): boolean {
    if (nowMs > this.#updatedMs) {
      this.#tokens = Math.min(this.#options.burst, this.#tokens + ((nowMs - this.#updatedMs) / 1000) * this.#options.perSecond);
      this.#updatedMs = nowMs;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
