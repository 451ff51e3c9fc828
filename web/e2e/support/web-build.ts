import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The newest modification time under `paths` (files and folders, recursively); 0 when none exist. A folder's own
 * time counts too: deleting or renaming a file changes only its folder's.
 */
function newestMtime(paths: string[]): number {
	let newest = 0;
	const visit = (p: string) => {
		if (!existsSync(p)) return;
		const stat = statSync(p);
		newest = Math.max(newest, stat.mtimeMs);
		if (stat.isDirectory()) for (const entry of readdirSync(p)) visit(path.join(p, entry));
	};
	paths.forEach(visit);
	return newest;
}

/**
 * Whether `web/build` must be rebuilt: it is missing, or older than any of its inputs (web sources, static
 * files, configuration, schema.graphql and codegen.ts, the installed packages' lockfile).
 * `E2E_BUILD=always|never` overrides the check.
 */
export function webBuildIsStale(repoRoot: string): boolean {
	const mode = process.env.E2E_BUILD ?? 'auto';
	if (mode === 'always') return true;
	const output = path.join(repoRoot, 'web', 'build', 'handler.js');
	if (!existsSync(output)) return true;
	if (mode === 'never') return false;
	const inputs = ['web/src', 'web/static', 'web/vite.config.ts', 'web/svelte.config.js', 'web/package.json', 'schema.graphql', 'codegen.ts', 'package-lock.json'];
	return newestMtime(inputs.map((p) => path.join(repoRoot, p))) > statSync(output).mtimeMs;
}
