// GraphQL responses list fields in the order the query selects them, also when a later field
// resolves first. @graphql-tools/executor before 2.1.0 wrote them in resolution order; its fixed
// releases need Node >= 22.15 (package.json engines), so this test guards against going back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({ customers: 20 });
});
afterAll(() => gw?.close());

describe('a response', () => {
  it('lists fields in the order the query selects them, whichever resolves first', async () => {
    // product waits for a batched load; customer { name } is settled at once (no access purpose given)
    const response = await gw.request('{ transactions(first: 30) { edges { node { product { issuer { name } } customer { name } } } } }', {
      token: await gw.token({ roles: ['compliance'] }),
    });
    expect(response.errors).toBeUndefined();
    const orders = new Set(response.data.transactions.edges.map((edge: { node: object }) => Object.keys(edge.node).join(',')));
    expect([...orders]).toEqual(['product,customer']);
  });
});
