/** Growable FIFO of small integers (a circular Int32Array): the insertion order of a dedup window. */
export class SlotQueue {
  private buf = new Int32Array(1024);
  private head = 0;
  length = 0;

  push(v: number): void {
    if (this.length === this.buf.length) this.grow();
    let i = this.head + this.length;
    if (i >= this.buf.length) i -= this.buf.length;
    this.buf[i] = v;
    this.length++;
  }

  /** Removes and returns the oldest value; the caller checks `length > 0`. */
  shift(): number {
    const v = this.buf[this.head]!;
    this.head = this.head + 1 === this.buf.length ? 0 : this.head + 1;
    this.length--;
    return v;
  }

  private grow(): void {
    const next = new Int32Array(this.buf.length * 2);
    const tail = this.buf.subarray(this.head);
    next.set(tail);
    next.set(this.buf.subarray(0, this.head), tail.length);
    this.buf = next;
    this.head = 0;
  }
}
