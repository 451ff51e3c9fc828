import { readFileSync } from 'node:fs';
import {
	buildSchema,
	isEnumType,
	isInputObjectType,
	isListType,
	isNonNullType,
	isScalarType,
	Kind,
	typeFromAST,
	type GraphQLInputType,
	parse,
	print,
	specifiedRules,
	validate,
	type DocumentNode,
	type OperationDefinitionNode
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../../../api/src/env.ts';
import { costRefusal, queryCost } from '../../../../api/src/plugins/query-cost.ts';
import { queryLimitRules } from '../../../../api/src/plugins/use-query-limits.ts';
import * as generated from './gql/graphql';

/**
 * The API refuses operations beyond its default limits (README "Limits"); the dashboard must never send one. Every
 * generated document is checked against those defaults, with every page-size variable at the largest page (100).
 */
const schema = buildSchema(readFileSync(new URL('../../../../schema.graphql', import.meta.url), 'utf8'));
const limits = loadEnv({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: '0'.repeat(64) });

const documents = Object.entries(generated).filter(
	(entry): entry is [string, DocumentNode] =>
		(entry[1] as DocumentNode)?.kind === Kind.DOCUMENT &&
		(entry[1] as DocumentNode).definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION)
);

/** A value of an input type, as small as the type allows: what a required variable needs to be costed. */
function sample(type: GraphQLInputType): unknown {
	if (isNonNullType(type)) return sample(type.ofType);
	if (isListType(type)) return [];
	if (isEnumType(type)) return type.getValues()[0]!.value;
	if (isInputObjectType(type))
		return Object.fromEntries(
			Object.values(type.getFields())
				.filter((f) => isNonNullType(f.type))
				.map((f) => [f.name, sample(f.type)])
		);
	if (isScalarType(type))
		return ({ Int: 1, Float: 1, Boolean: true, DateTime: '2026-01-01T00:00:00Z', Date: '2026-01-01' } as Record<string, unknown>)[type.name] ?? 'x';
	return null;
}

/** Required variables get a sample value; page sizes (`first`, `last`) the largest page the API gives (100). */
const worstCaseVariables = (document: DocumentNode) => {
	const operation = document.definitions.find(
		(d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION
	)!;
	return Object.fromEntries(
		(operation.variableDefinitions ?? []).flatMap((v) => {
			const name = v.variable.name.value;
			if (name === 'first' || name === 'last') return [[name, 100]];
			const type = typeFromAST(schema, v.type as never) as GraphQLInputType | undefined;
			return type && isNonNullType(type) ? [[name, sample(type)]] : [];
		})
	);
};

describe("the dashboard's operations fit the API's default limits", () => {
	it('has operations to check', () => {
		expect(documents.length).toBeGreaterThan(10);
	});

	it.each(documents)('%s', (_name, document) => {
		const text = print(document);
		expect(() => parse(text, { maxTokens: limits.QUERY_MAX_TOKENS })).not.toThrow();
		const errors = validate(schema, document, [...specifiedRules, ...queryLimitRules(limits)]);
		expect(errors.map((e) => e.message)).toEqual([]);
		const cost = queryCost(schema, document, worstCaseVariables(document));
		expect(cost).not.toBeNull();
		expect(costRefusal(cost, limits.QUERY_MAX_COST)?.message ?? null).toBeNull();
	});
});
