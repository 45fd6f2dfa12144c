/**
 * Runs librdkafka's mock cluster through the launcher (built by build.ts): one process per
 * cluster, its bootstrap address read from the launcher's first stdout line, stopped by closing
 * its stdin (so it also dies with us). No vitest import: the benches use it too.
 *
 * A limit worth knowing: the mock keeps at most ~5 MiB per partition and silently drops the
 * oldest record batches past that (`max_size` in librdkafka's mock), so a test or bench that
 * produces more per partition loses records; check the low watermark when producing much.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

export interface KafkaTopicSpec {
  name: string;
  partitions: number;
}

export interface KafkaCluster {
  brokers: string[];
  /** 'mock': the librdkafka mock cluster; 'external': KAFKA_BROKERS. */
  kind: 'mock' | 'external';
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

type Exit = { code: number | null; signal: NodeJS.Signals | null };

export async function startMockCluster(
  launcher: string,
  topics: KafkaTopicSpec[],
  brokers: number,
): Promise<KafkaCluster> {
  const args = [
    '--brokers',
    String(brokers),
    ...topics.flatMap((t) => ['--topic', `${t.name}:${t.partitions}`]),
  ];
  // stdin is a pipe the launcher reads until EOF: stop() closes it, and so does our death.
  const child = spawn(launcher, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const describe = () => `Kafka mock launcher (${launcher} ${args.join(' ')})`;
  const stop = async () => {
    const exit = await stopChild(child, exited);
    if (exit && exit.code !== 0 && exit.signal !== 'SIGKILL') {
      throw new Error(
        `${describe()} exited with code ${exit.code} (signal ${exit.signal}): ${stderr.trim()}`,
      );
    }
  };

  let line: string;
  try {
    line = await firstLine(child, exited);
  } catch (e) {
    await stopChild(child, exited);
    const detail = stderr.trim() ? `\n${stderr.trim()}` : '';
    throw new Error(`${describe()}: ${(e as Error).message}${detail}`);
  }
  const parsed = JSON.parse(line) as { bootstrap: string };
  return { brokers: parsed.bootstrap.split(','), kind: 'mock', stop };
}

function firstLine(child: ChildProcessWithoutNullStreams, exited: Promise<Exit>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`no bootstrap line within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    // Spawn failures (ENOENT, EACCES) arrive as 'error' without an 'exit'.
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`exited (code ${code}, signal ${signal}) before printing its bootstrap line`));
    });
  });
}

/** Closes stdin, waits for the exit, SIGKILLs after STOP_TIMEOUT_MS. Undefined if never spawned. */
async function stopChild(
  child: ChildProcessWithoutNullStreams,
  exited: Promise<Exit>,
): Promise<Exit | undefined> {
  if (child.pid === undefined) return undefined;
  if (child.exitCode === null && child.signalCode === null) {
    child.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), STOP_TIMEOUT_MS);
    });
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') child.kill('SIGKILL');
  }
  return exited;
}
