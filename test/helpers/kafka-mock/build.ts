/**
 * Compiles launcher.c (librdkafka's mock cluster behind a stdin-lifetime process) into
 * node_modules/.cache/ceptra-replay/kafka-mock-launcher/launcher-<hash>. The hash covers the
 * source and the compiler flags, so an edit rebuilds and an unchanged file is reused; the binary
 * is written to a temporary name and renamed, so two concurrent builders cannot leave a torn file.
 * Global setup calls this once per run; test/helpers/kafka.ts calls it only outside vitest.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, chmod, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const SOURCE = fileURLToPath(new URL('./launcher.c', import.meta.url));
const DEFAULT_CACHE_DIR = fileURLToPath(
  new URL('../../../node_modules/.cache/ceptra-replay/kafka-mock-launcher/', import.meta.url),
);
const INSTALL_HINT = 'install librdkafka-dev (apt-get install -y librdkafka-dev)';

export interface BuildKafkaMockOptions {
  /** Where the binary is cached; defaults to node_modules/.cache/ceptra-replay/kafka-mock-launcher. */
  cacheDir?: string;
  /** The C compiler; defaults to `cc`. */
  compiler?: string;
}

/** `pkg-config --cflags --libs rdkafka` when pkg-config knows librdkafka, else plain `-lrdkafka`. */
async function rdkafkaFlags(): Promise<string[]> {
  try {
    const { stdout } = await run('pkg-config', ['--cflags', '--libs', 'rdkafka']);
    const flags = stdout.trim().split(/\s+/).filter(Boolean);
    if (flags.length > 0) return flags;
  } catch {
    // pkg-config missing or no rdkafka.pc: the default include and library paths usually suffice.
  }
  return ['-lrdkafka'];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Returns the path of a launcher binary built from the current launcher.c. */
export async function buildKafkaMockLauncher(options: BuildKafkaMockOptions = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const compiler = options.compiler ?? 'cc';
  const source = await readFile(SOURCE);
  const flags = ['-O2', '-Wall', '-Wextra', SOURCE, ...(await rdkafkaFlags())];
  const hash = createHash('sha256').update(source).update(flags.join(' ')).digest('hex').slice(0, 16);
  const binary = join(cacheDir, `launcher-${hash}`);
  if (await exists(binary)) return binary;

  await mkdir(cacheDir, { recursive: true });
  const tmp = `${binary}.tmp-${process.pid}`;
  try {
    await run(compiler, ['-o', tmp, ...flags]);
  } catch (e) {
    await rm(tmp, { force: true });
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(
        `cannot build the Kafka mock launcher: no C compiler (\`${compiler}\` not found); ` +
          `install one (apt-get install -y gcc libc6-dev) and ${INSTALL_HINT}`,
      );
    }
    const stderr = (err.stderr ?? err.message).trim();
    const missingLib = /rdkafka(_mock)?\.h|-lrdkafka|rd_kafka_mock_/.test(stderr);
    throw new Error(
      `cannot build the Kafka mock launcher (${compiler} ${flags.join(' ')}):\n${stderr}\n` +
        (missingLib
          ? `librdkafka with its mock cluster (rdkafka_mock.h) is missing: ${INSTALL_HINT}`
          : `a C compiler and librdkafka are needed: ${INSTALL_HINT}`),
    );
  }
  await chmod(tmp, 0o755);
  await rename(tmp, binary);

  // Binaries of older launcher.c versions are dead weight; a running one survives unlinking.
  for (const name of await readdir(cacheDir)) {
    if (name.startsWith('launcher-') && join(cacheDir, name) !== binary && !name.includes('.tmp-')) {
      await rm(join(cacheDir, name), { force: true });
    }
  }
  return binary;
}
