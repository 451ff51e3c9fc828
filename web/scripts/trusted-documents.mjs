// `npm run codegen`, after GraphQL Code Generator: copies the dashboard's persisted documents
// (web/src/lib/graphql/gql/persisted-documents.json, generated, not committed) to trusted-documents.json at the
// repository root (committed): the documents the API runs for dashboard sessions, keyed by the SHA-256 hash (hex) of
// their text, which the dashboard sends instead of the text. Written only when it changed, sorted by hash.
// web/src/lib/graphql/trusted-documents.test.ts fails when the committed copy is stale.
import { readFileSync, writeFileSync } from 'node:fs';

const generated = new URL('../src/lib/graphql/gql/persisted-documents.json', import.meta.url);
const committed = new URL('../../trusted-documents.json', import.meta.url);

/**
 * The committed form of codegen's map: hex keys (without codegen's `sha256:`), in order.
 * @param {Record<string, string>} persisted
 */
export function trustedDocuments(persisted) {
	const entries = Object.entries(persisted).map(([key, text]) => [key.replace(/^sha256:/, ''), text]);
	return `${JSON.stringify(Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1))), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const next = trustedDocuments(JSON.parse(readFileSync(generated, 'utf8')));
	let current = '';
	try {
		current = readFileSync(committed, 'utf8');
	} catch {}
	if (next !== current) {
		writeFileSync(committed, next);
		console.log('wrote trusted-documents.json');
	}
}
