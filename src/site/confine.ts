// Every file a site looks at must really lie under its root (or the alias directory it was mapped from): the
// check uses the file's own realpath, so no symlink, however deep, leads out. A file is opened first and its
// identity (device and inode) compared with what the realpath names, so a symlink swapped in between the check
// and the open cannot win the race: the bytes sent are always the checked file's.
import type { FileStat, OpenFile, SiteFiles } from "../platform/types.ts";
import { isWithin } from "./real-root.ts";

/** stat of `path` when it exists and its realpath lies under `root` (resolved); null otherwise. */
export async function confinedStat(files: SiteFiles, path: string, root: string): Promise<FileStat | null> {
  const stat = await files.stat(path);
  if (stat === null) return null;
  const real = await files.realpath(path);
  return real !== null && isWithin(real, root) ? stat : null;
}

/** The regular file at `path`, opened, when it lies under `root` (resolved); null otherwise. */
export async function confinedOpen(files: SiteFiles, path: string, root: string): Promise<OpenFile | null> {
  const file = await files.open(path);
  if (file === null) return null;
  const real = await files.realpath(path);
  if (real !== null && isWithin(real, root)) {
    const there = await files.stat(real);
    if (there !== null && there.dev === file.stat.dev && there.ino === file.stat.ino) return file;
  }
  await file.close();
  return null;
}
