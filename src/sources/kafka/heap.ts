/** A binary min-heap over an array (no allocation per push/pop beyond the array's growth). */
export class MinHeap<T> {
  readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(v: T): void {
    const a = this.items;
    const less = this.less;
    let i = a.length;
    a.push(v);
    // Sift up with a hole: parents move down, v is written once.
    while (i > 0) {
      const up = (i - 1) >> 1;
      const parent = a[up]!;
      if (!less(v, parent)) break;
      a[i] = parent;
      i = up;
    }
    a[i] = v;
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    const n = a.length;
    if (n === 0 || last === undefined) return top;
    const less = this.less;
    // Sift down with a hole: the smaller child moves up, `last` is written once.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      let child = a[l]!;
      if (r < n && less(a[r]!, child)) {
        m = r;
        child = a[r]!;
      }
      if (!less(child, last)) break;
      a[i] = child;
      i = m;
    }
    a[i] = last;
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}
