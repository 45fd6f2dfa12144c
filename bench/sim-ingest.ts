/**
 * Emulator ingest throughput: the sim runs in a child process (its own core); this process posts
 * 1,000-event batches (~200-byte payloads, REPLAY, unique ids) from a few concurrent loopback
 * clients for ~10 s and prints events/s and the child's CPU time, beside the target (200k
 * events/s on one core) and the loopback HTTP ceiling measured with a null server that only
 * reads the body and answers `{}`.
 *
 *   npx tsx bench/sim-ingest.ts [--seconds 10] [--clients 4] [--batch 1000] [--record]
 *
 * It also times the emulator's core path in this process, without HTTP (`--inproc-batches`, default
 * 500): parse, validate, dedup, commit, encode the results, apply and pane-fold — as CPU time per
 * event, which is far steadier than wall-clock figures on a shared, loaded machine.
 *
 * `--record` appends the figures and the machine description to bench/RESULTS.md.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const args = process.argv.slice(2);
const arg = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};

interface ChildReport {
  cpuMs: number;
  rssMb: number;
  applied: number;
  committed: number;
  appliedTwice: number;
}

async function childMain(mode: string): Promise<void> {
  let report: () => Promise<Omit<ChildReport, 'cpuMs' | 'rssMb'>>;
  let url: string;
  if (mode === 'sim') {
    const { startSim } = await import('../src/sim/index.js');
    const sim = await startSim({
      port: 0,
      partitions: 16,
      keepAppliedLog: process.env.SIM_BENCH_NO_LOG !== '1',
    });
    url = sim.url;
    report = async () => {
      const t = sim.stats().totals;
      return { applied: t.applied, committed: t.committed, appliedTwice: t.applied_twice };
    };
  } else {
    const server = createServer((req, res) => {
      req.on('data', () => {});
      req.on('end', () => res.end('{}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    report = async () => ({ applied: 0, committed: 0, appliedTwice: 0 });
  }
  const cpu0 = process.cpuUsage();
  process.send!({ url });
  process.on('message', async () => {
    const c = process.cpuUsage(cpu0);
    const r: ChildReport = {
      cpuMs: (c.user + c.system) / 1000,
      rssMb: process.memoryUsage().rss / 2 ** 20,
      ...(await report()),
    };
    process.send!(r, () => process.exit(0));
  });
}

function spawnChild(mode: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--child', mode], {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.SIM_BENCH_PROF === '1' && mode === 'sim'
        ? ['--cpu-prof', '--cpu-prof-dir=/tmp/simprof']
        : []),
    ],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve({ child, url: m.url }));
    child.once('error', reject);
  });
}

const PAYLOAD = Buffer.alloc(200, 7).toString('base64');
const KEYS = Array.from({ length: 64 }, (_, i) => Buffer.from(`tenant-${i}`).toString('base64'));
const TS0 = BigInt(Date.now() - 86_400_000) * 1_000_000n;

/** One body of `n` unique events, built from string fragments (~0.3 ms per 1,000 events here). */
function body(batchNo: number, n: number): string {
  const parts: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const seq = batchNo * n + i;
    parts[i] =
      `{"event_id":"b${batchNo}-${i}","partition_key_b64":"${KEYS[seq % KEYS.length]}","schema_key":"proto:1.0:abc",` +
      `"payload_b64":"${PAYLOAD}","ts_ns":"${TS0 + BigInt(seq) * 1000n}","flags":["REPLAY"]}`;
  }
  return `{"events":[${parts.join(',')}]}`;
}

async function run(mode: string, seconds: number, clients: number, n: number) {
  const { child, url } = await spawnChild(mode);
  const pool = new Pool(url, { connections: clients, pipelining: 1 });
  let next = 0;
  let healthy = 0;
  let other = 0;
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const res = await pool.request({
          path: '/append/batch',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body(next++, n),
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
        const h = mode === 'sim' ? text.split('"Healthy"').length - 1 : n;
        healthy += h;
        other += n - h;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 200)); // let the apply loop finish
  const rep = await new Promise<ChildReport>((resolve) => {
    child.once('message', (m: ChildReport) => resolve(m));
    child.send('report');
  });
  await pool.close();
  return { eps: healthy / secs, healthy, other, secs, ...rep };
}

/** CPU time of the core path per event, in this process (bodies are built outside the timed part). */
async function inproc(batches: number, n: number): Promise<{ nsPerEvent: number; applied: number }> {
  const { SimEngine } = await import('../src/sim/engine.js');
  const { resolveSimOptions } = await import('../src/sim/options.js');
  const { processEvents } = await import('../src/sim/process.js');
  const { EventColumns, parseEvents, validateEvents } = await import('../src/sim/validate.js');
  const { silentLogger } = await import('../src/common/logger.js');
  const engine = new SimEngine(resolveSimOptions({ partitions: 16 }), silentLogger());
  const cols = new EventColumns();
  let cpuUs = 0;
  for (let b = 0; b < batches; b++) {
    const buf = Buffer.from(body(b, n));
    const c0 = process.cpuUsage();
    const events = parseEvents(buf.toString('utf8'), 'application/json', true);
    validateEvents(events, cols, engine, 'events');
    const results = processEvents(engine, cols, false);
    Buffer.from(`{"results":[${results.join(',')}]}`, 'utf8');
    for (const p of engine.partitions) if (p.depth > 0) p.drain(p.depth, Date.now(), engine.faults);
    const c = process.cpuUsage(c0);
    cpuUs += c.user + c.system;
  }
  const applied = engine.partitions.reduce((a, p) => a + p.applied, 0);
  return { nsPerEvent: (cpuUs * 1000) / (batches * n), applied };
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 10);
  const clients = arg('clients', 4);
  const n = arg('batch', 1000);
  const core = await inproc(arg('inproc-batches', 500), n);
  const nul = await run('null', seconds, clients, n);
  const sim = await run('sim', seconds, clients, n);
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const simCpuShare = sim.cpuMs / 1000 / sim.secs;
  console.log(`sim ingest, ${clients} clients × ${n}-event batches, ~200 B payloads, ${seconds} s each`);
  console.log(`  null server (read body, answer {}): ${fmt(nul.eps)} events/s  — loopback HTTP ceiling`);
  console.log(
    `  emulator: ${fmt(sim.eps)} events/s acked Healthy (${sim.other} not), sim CPU ${(simCpuShare * 100).toFixed(0)} % of a core, ` +
      `${fmt(sim.eps / simCpuShare)} events per sim-CPU-second, RSS ${fmt(sim.rssMb)} MB`,
  );
  console.log(
    `  core path in-process (no HTTP): ${fmt(core.nsPerEvent)} ns CPU per event = ${fmt(1e9 / core.nsPerEvent)} events per CPU-second`,
  );
  console.log(`  target: 200,000 events/s on one core`);
  console.log(
    `  ground truth: committed ${sim.committed}, applied ${sim.applied}, applied twice ${sim.appliedTwice}`,
  );
  if (args.includes('--record')) {
    const model =
      /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model;
    const lines = [
      `\n## Emulator ingest (bench/sim-ingest.ts) — ${new Date().toISOString()}\n`,
      `Machine: nproc ${cpus().length}, ${model}, Node ${process.version} (2 cores shared with other jobs;`,
      `load average at the end ${(await import('node:os')).loadavg()[0]!.toFixed(1)}). Sim in a child process; ${clients} loopback clients in`,
      `this process post ${n}-event batches (~200 B payloads, REPLAY, unique ids, 16 partitions) for ${seconds} s.\n`,
      '| what | events/s | note |',
      '|---|---:|---|',
      `| null server (read body, answer \`{}\`) | ${fmt(nul.eps)} | loopback HTTP ceiling with this client |`,
      `| emulator, acked Healthy | ${fmt(sim.eps)} | sim CPU ${(simCpuShare * 100).toFixed(0)} % of a core, RSS ${fmt(sim.rssMb)} MB |`,
      `| emulator, per sim-CPU-second | ${fmt(sim.eps / simCpuShare)} | target 200,000 on one core |`,
      `| core path in-process, per CPU-second | ${fmt(1e9 / core.nsPerEvent)} | parse → apply + pane fold, no HTTP (${fmt(core.nsPerEvent)} ns/event) |`,
      `\nGround truth after the run: committed ${sim.committed}, applied ${sim.applied}, applied twice ${sim.appliedTwice}.\n`,
    ];
    appendFileSync(new URL('./RESULTS.md', import.meta.url), lines.join('\n'));
  }
  if (
    sim.applied !== sim.healthy ||
    sim.appliedTwice !== 0 ||
    core.applied !== arg('inproc-batches', 500) * n
  ) {
    console.error('ground truth mismatch: applied != acked Healthy');
    process.exitCode = 1;
  }
}

if (args[0] === '--child') await childMain(args[1]!);
else await main();
