import { readFileSync } from 'node:fs';
import { buildSchema, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { cacheConfig } from './cache';
import { embeddedTypes as generated } from './gql/embedded-types';
// the plugin itself, as codegen runs it
import plugin from '../../../scripts/embedded-types-plugin.cjs';

const schema = buildSchema(readFileSync(new URL('../../../../schema.graphql', import.meta.url), 'utf8'));

describe('graphcache keys, derived from the schema at codegen', () => {
	it('is current: the generated list is what the plugin derives from schema.graphql now', () => {
		expect([...generated]).toEqual(plugin.embeddedTypes(schema));
	});

	it('embeds exactly the object types without an id: ID! (every payload, connection, edge and figure), none with one', () => {
		const objects = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && !t.name.startsWith('__') && !['Query', 'Mutation', 'Subscription'].includes(t.name));
		const keys = cacheConfig.keys as Record<string, unknown>;
		for (const type of objects) {
			if (!isObjectType(type)) continue;
			const id = type.getFields().id;
			const identified = String(id?.type) === 'ID!' && type.name !== 'WorkerJob'; // cache.ts says why a job is a snapshot
			expect(type.name in keys, `${type.name} ${identified ? 'has an id: ID!, must normalize' : 'has no id: ID!, must be embedded'}`).toBe(!identified);
		}
		// the payloads a new mutation adds are covered without anyone listing them
		expect(keys).toHaveProperty('CreateJobPayload');
		expect(keys).toHaveProperty('JobFigures');
	});
});
