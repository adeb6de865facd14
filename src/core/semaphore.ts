/** At most `free` holders at once; the others wait in order. */
export class Semaphore {
  private waiting: Array<() => void> = [];
  constructor(private free: number) {}

  /** Resolves to the release function once a place is held. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    return () => {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}
