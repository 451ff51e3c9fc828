import { createRequire } from 'node:module';
import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

const port = Number(process.env.WEB_PORT ?? 3000);

// Node loads graphql's CommonJS entry for libraries (graphql 16 has no "exports"): unit tests that also import the
// API's query limits (src/lib/graphql/limits.test.ts) need the same one module, or graphql refuses "another realm".
const graphqlEntry = createRequire(import.meta.url).resolve('graphql');

export default defineConfig({
	plugins: [
		sveltekit({
			compilerOptions: {
				// Force runes mode for the project, except for libraries. Can be removed in svelte 6.
				runes: ({ filename }) =>
					filename.split(/[/\\]/).includes('node_modules') ? undefined : true
			},
			// `node build` serves on HOST/PORT (adapter-node's variables); see CONTRACT.md for WEB_PORT.
			adapter: adapter(),
			// Content-Security-Policy of every page: SvelteKit adds a nonce (or hash) to its own inline script. The
			// API's origin (http and ws) is added to connect-src at run time (src/lib/security-headers.ts), since
			// PUBLIC_API_URL is read when the server starts, not when it is built. Inline style attributes stay
			// allowed: Svelte and LayerChart set them, and the styles come from this app only.
			csp: {
				mode: 'auto',
				directives: {
					'default-src': ['self'],
					'script-src': ['self'],
					'style-src': ['self', 'unsafe-inline'],
					'img-src': ['self', 'data:', 'blob:'],
					'font-src': ['self', 'data:'],
					'connect-src': ['self'],
					'object-src': ['none'],
					'base-uri': ['self'],
					'form-action': ['self'],
					'frame-ancestors': ['none']
				}
			}
		})
	],
	server: { host: '127.0.0.1', port },
	preview: { host: '127.0.0.1', port },
	test: {
		expect: { requireAssertions: true },
		projects: [
			{
				extends: './vite.config.ts',
				plugins: [svelteTesting()],
				test: { name: 'client', environment: 'jsdom', include: ['src/**/*.svelte.test.ts'] }
			},
			{
				extends: './vite.config.ts',
				resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
				test: {
					name: 'server',
					environment: 'node',
					include: ['src/**/*.test.ts'],
					exclude: ['src/**/*.svelte.test.ts']
				}
			},
			{
				// Real headless Chromium against the real API and the built dashboard (e2e/support/global-setup.ts).
				test: {
					name: 'e2e',
					environment: 'node',
					include: ['e2e/**/*.e2e.ts'],
					globalSetup: ['e2e/support/global-setup.ts'],
					testTimeout: 60_000,
					hookTimeout: 60_000,
					fileParallelism: false,
					maxWorkers: 1
				}
			}
		]
	}
});
