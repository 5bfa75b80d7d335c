import { readFileSync } from 'node:fs';
import { Kind, parse, validate, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../schema/index.ts';
import { ASSUMED_LIST_SIZE, DEFAULT_MAX_COST, estimateCost } from '../../src/cost.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../src/data/page.ts';

const cost = (query: string, variables?: Record<string, unknown>, operationName?: string) => estimateCost(parse(query), variables, schema, operationName);

/** `transactions(first: n)` selecting ids: the field, then per edge the edge, its node and the id. */
const page = (n: number) => 1 + n * 3;

/** The fan-out: three nested pages of 100 transactions, within the depth limit. */
const FAN_OUT_FIELD = /* GraphQL */ `
  transactions(first: 100) { edges { node { id customer {
    transactions(first: 100) { edges { node { id customer {
      transactions(first: 100) { edges { node { id } } } } } } } } } } }`;
const FAN_OUT = `{ ${FAN_OUT_FIELD} }`;

describe('estimateCost', () => {
  it('counts every value of the response: { me { id } } is two', () => {
    expect(cost('{ me { id } }')).toBe(2);
  });

  it('multiplies what a page selects by its first', () => {
    expect(cost('{ transactions(first: 100) { edges { node { id } } } }')).toBe(page(100));
    expect(cost('{ transactions(first: 7) { edges { node { id } } } }')).toBe(page(7));
  });

  it('takes the default page size when first is absent or null', () => {
    expect(cost('{ transactions { edges { node { id } } } }')).toBe(page(DEFAULT_PAGE_SIZE));
    expect(cost('{ transactions(first: null) { edges { node { id } } } }')).toBe(page(DEFAULT_PAGE_SIZE));
  });

  it('reads page sizes from variables, and from variable defaults when a variable is not sent', () => {
    const query = 'query Page($n: Int) { transactions(first: $n) { edges { node { id } } } }';
    expect(cost(query, { n: 50 })).toBe(page(50));
    expect(cost(query, {})).toBe(page(DEFAULT_PAGE_SIZE));
    expect(cost('query Page($n: Int = 60) { transactions(first: $n) { edges { node { id } } } }', {})).toBe(page(60));
  });

  it('counts a page larger than the maximum as the maximum, since execution refuses it before any SQL', () => {
    expect(cost('{ transactions(first: 1000000) { edges { node { id } } } }')).toBe(page(MAX_PAGE_SIZE));
  });

  it('multiplies nested pages: the issue’s fan-out is about a million times one page', () => {
    // per edge: the edge, its node, id, customer, and the customer's own page
    const innermost = page(100);
    const middle = 1 + 100 * (4 + innermost);
    expect(cost(FAN_OUT)).toBe(1 + 100 * (4 + middle));
    expect(cost(FAN_OUT)).toBeGreaterThan(DEFAULT_MAX_COST);
  });

  it('counts each alias as a field of its own: aliased copies multiply the cost', () => {
    const one = cost('{ transactions(first: 100) { edges { node { id } } } }');
    expect(cost('{ a: transactions(first: 100) { edges { node { id } } } b: transactions(first: 100) { edges { node { id } } } }')).toBe(2 * one);
    expect(cost(`{ a: ${FAN_OUT_FIELD} b: ${FAN_OUT_FIELD} c: ${FAN_OUT_FIELD} }`)).toBe(3 * cost(FAN_OUT));
  });

  it('counts a field selected twice under one response key once, as execution merges it', () => {
    expect(cost('{ me { id } me { id } }')).toBe(2);
    expect(cost('{ me { id } me { name } }')).toBe(3);
  });

  it('counts fragments as what they select, wherever they are spread', () => {
    const inline = cost('{ transactions(first: 50) { edges { node { id amount customer { id name } } } } }');
    expect(cost('{ transactions(first: 50) { ...Page } } fragment Page on TransactionConnection { edges { node { ...Row } } } fragment Row on Transaction { id amount customer { id name } }')).toBe(inline);
    expect(cost('{ transactions(first: 50) { edges { node { ... on Transaction { id amount customer { id name } } } } } }')).toBe(inline);
    expect(cost('{ a: transactions(first: 50) { ...P } b: transactions(first: 50) { ...P } } fragment P on TransactionConnection { edges { node { id } } }')).toBe(2 * page(50));
  });

  it('assumes a list without first holds ASSUMED_LIST_SIZE items', () => {
    expect(cost('{ me { accounts { id balance } } }')).toBe(1 + ASSUMED_LIST_SIZE * (1 + 2));
    expect(cost('{ product(id: "x") { disclosures { id } issuer { licenses { number } } } }')).toBe(1 + ASSUMED_LIST_SIZE * 2 + 1 + ASSUMED_LIST_SIZE * 2);
  });

  it('leaves out what @skip and @include leave out', () => {
    const query = 'query Q($big: Boolean!) { me { id } transactions(first: 100) @include(if: $big) { edges { node { id } } } }';
    expect(cost(query, { big: false })).toBe(2);
    expect(cost(query, { big: true })).toBe(2 + page(100));
    expect(cost('{ me { id name @skip(if: true) } }')).toBe(2);
  });

  it('counts the costliest type an interface field may return', () => {
    expect(cost('{ node(id: "x") { id ... on Customer { transactions(first: 100) { edges { node { id } } } } ... on Product { name } } }')).toBe(1 + 1 + page(100));
  });

  it('estimates the operation named by operationName, or the costliest when none is named', () => {
    const document = 'query Small { me { id } } query Big { transactions(first: 100) { edges { node { id } } } }';
    expect(cost(document, {}, 'Small')).toBe(2);
    expect(cost(document)).toBe(page(100));
  });

  it('walks a fragment spread many times once per selection set, so its own cost stays small', () => {
    // each level spreads the next twice under two aliases: 2^10 paths, 10 fragment walks
    const levels = Array.from({ length: 10 }, (_, i) => `fragment L${i} on Customer { a: transactions(first: 1) { edges { node { customer { ...L${i + 1} } } } } b: transactions(first: 1) { edges { node { customer { ...L${i + 1} } } } } }`);
    const document = `{ me { ...L0 } } ${levels.join(' ')} fragment L10 on Customer { id }`;
    const started = performance.now();
    expect(cost(document)).toBeGreaterThan(2 ** 10);
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe('the default budget', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
  /** Each operation of a block as a document of its own, with the block's fragments. */
  const operations = (block: string) => {
    const document = parse(block);
    const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
    return document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [{ kind: Kind.DOCUMENT, definitions: [d, ...fragments] } as DocumentNode] : []));
  };

  it('lets every query of the README through, and each is valid against the schema', () => {
    const allowed = blocks.filter((block) => !block.startsWith('# refused')).flatMap(operations);
    expect(allowed.length).toBeGreaterThan(3);
    for (const operation of allowed) {
      expect(validate(schema, operation)).toEqual([]);
      expect(estimateCost(operation, {}, schema)).toBeLessThanOrEqual(DEFAULT_MAX_COST);
    }
  });

  it('refuses the README’s example of a refused query, whose cost it states', () => {
    const refused = blocks.filter((block) => block.startsWith('# refused'));
    expect(refused.length).toBeGreaterThan(0);
    for (const block of refused) {
      const stated = Number(/([\d,]+) values/.exec(block)?.[1]?.replaceAll(',', ''));
      for (const operation of operations(block)) {
        expect(validate(schema, operation)).toEqual([]);
        expect(estimateCost(operation, {}, schema)).toBe(stated);
        expect(stated).toBeGreaterThan(DEFAULT_MAX_COST);
      }
    }
  });
});
