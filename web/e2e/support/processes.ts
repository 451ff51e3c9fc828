import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';

/** A child process whose output goes to `<logDir>/<name>.log` (appended across restarts). */
export function spawnLogged(
	name: string,
	command: string,
	args: string[],
	options: { cwd: string; env: NodeJS.ProcessEnv; logDir: string }
): ChildProcess {
	mkdirSync(options.logDir, { recursive: true });
	const log = createWriteStream(path.join(options.logDir, `${name}.log`), { flags: 'a' });
	log.write(`\n--- ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
	const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
	child.stdout!.pipe(log, { end: false });
	child.stderr!.pipe(log, { end: false });
	child.once('exit', (code, signal) => log.end(`--- exited: code ${code} signal ${signal}\n`));
	return child;
}

/** Runs a command to completion; rejects with its output's tail when it fails. */
export function run(
	command: string,
	args: string[],
	options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }
): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000));
		child.stdout!.on('data', keep);
		child.stderr!.on('data', keep);
		const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
		child.once('error', reject);
		child.once('exit', (code, signal) => {
			clearTimeout(timer);
			if (code === 0) resolve();
			else reject(new Error(`${command} ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${output}`));
		});
	});
}

/** Polls `url` until it answers 2xx; fails early when `child` exits. */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null || child.signalCode !== null) {
			throw new Error(`${url}: the process exited (code ${child.exitCode}, signal ${child.signalCode}) before answering`);
		}
		try {
			const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
			await res.arrayBuffer();
			if (res.ok) return;
		} catch {
			/* not up yet */
		}
		await new Promise((r) => setTimeout(r, 150));
	}
	throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export function stopProcess(child: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
	if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
		child.once('exit', () => (clearTimeout(kill), resolve()));
		child.kill('SIGTERM');
	});
}
