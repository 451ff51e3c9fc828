// A build that runs only when its inputs changed: the SHA-256 of the inputs' paths and contents is stored in a
// stamp file inside the build's output after a successful build, and compared on the next start.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

export interface CachedBuild {
  name: string;
  /** Paths the inputs are relative to. */
  root: string;
  /** Files and folders (recursively) whose contents decide the output; missing ones count as absent. */
  inputs: string[];
  /** Paths (relative to `root`) left out of the hash: outputs of the build itself found among the inputs. */
  ignore?: string[];
  /** The output folder; the stamp lives in it, so deleting the output forces a build. */
  output: string;
  /** Files (relative to `output`) that must exist for the output to count as built. */
  required: string[];
  build(): Promise<void>;
}

const stampName = ".inputs.sha256";

/** The SHA-256 of every file under `inputs` (sorted paths relative to `root`, then contents), ignoring `ignore`. */
export async function hashInputs(root: string, inputs: string[], ignore: string[] = []): Promise<string> {
  const ignored = new Set(ignore.map((p) => path.normalize(p)));
  const files: string[] = [];
  const visit = async (relative: string): Promise<void> => {
    if (ignored.has(path.normalize(relative))) return;
    const entries = await readdir(path.join(root, relative), { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOTDIR") return null;
      if (e.code === "ENOENT") return [];
      throw e;
    });
    if (entries === null) files.push(relative);
    else for (const entry of entries) await visit(path.join(relative, entry.name));
  };
  for (const input of inputs) await visit(input);
  const hash = createHash("sha256");
  for (const file of files.sort()) {
    hash.update(`${file.split(path.sep).join("/")}\0`);
    hash.update(await readFile(path.join(root, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/**
 * Builds `target` unless its output holds a stamp equal to the current hash of its inputs and every required file
 * (or `force`).
 * Guarantees: the stamp is removed before a build starts and written only after it succeeded, so a failed or
 * interrupted build is rebuilt next time; a build that fails rejects with its error.
 */
export async function buildIfChanged(target: CachedBuild, options: { force?: boolean } = {}): Promise<{ built: boolean; hash: string }> {
  const hash = await hashInputs(target.root, target.inputs, target.ignore);
  const stamp = path.join(target.output, stampName);
  const stored = await readFile(stamp, "utf8").catch(() => null);
  if (!options.force && stored?.trim() === hash && target.required.every((f) => existsSync(path.join(target.output, f)))) return { built: false, hash };
  await rm(stamp, { force: true });
  await target.build();
  await writeFile(stamp, `${hash}\n`);
  return { built: true, hash };
}
