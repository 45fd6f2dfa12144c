/**
 * Atomic file replacement: write a temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory. A crash leaves either the old or the new file, never a mix,
 * and a failed write removes its temp file.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface FileOps {
  open: typeof fs.open;
  rename: typeof fs.rename;
  rm: typeof fs.rm;
  mkdir: typeof fs.mkdir;
}

export const defaultFileOps: FileOps = { open: fs.open, rename: fs.rename, rm: fs.rm, mkdir: fs.mkdir };

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  ops: FileOps = defaultFileOps,
) {
  const dir = dirname(path);
  await ops.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await ops.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await ops.rename(tmp, path);
  } catch (e) {
    await ops.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dir, ops);
}

async function fsyncDir(dir: string, ops: FileOps) {
  // Makes the rename durable. Some platforms refuse to fsync a directory (EISDIR/EPERM): the
  // data itself is already synced, so that is not an error worth failing a commit for.
  let fh: fs.FileHandle | undefined;
  try {
    fh = await ops.open(dir, 'r');
    await fh.sync();
  } catch {
    // ignored, see above
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
