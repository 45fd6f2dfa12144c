/** Reads `ceptra_apply_lag_ms{partition_id="…"}` out of a Prometheus text page. */

const LAG_RE = /^ceptra_apply_lag_ms\{[^}]*partition_id="(\d+)"[^}]*\}\s+(\S+)/;

/** Apply lag (ms) per partition id; lines with a non-finite value are skipped. */
export function parseApplyLag(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    const m = LAG_RE.exec(line);
    if (!m) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) out.set(Number(m[1]), v);
  }
  return out;
}
