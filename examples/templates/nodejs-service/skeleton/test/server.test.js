import { test } from 'node:test';
import assert from 'node:assert/strict';
import { start } from '../src/server.js';
import { databaseConfig } from '../src/database.js';

test('answers /healthz', async () => {
  const server = await start(0);
  try {
    const response = await fetch(`http://127.0.0.1:${server.address().port}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok', service: '${{ values.name }}' });
  } finally {
    server.close();
  }
});

test('reads the database settings from DATABASE_URL or its parts', () => {
  assert.deepEqual(databaseConfig({ DATABASE_URL: 'postgres://u:p@h:5432/d' }), { connectionString: 'postgres://u:p@h:5432/d' });
  assert.equal(databaseConfig({ DATABASE_HOST: 'h', DATABASE_PORT: '6543' }).port, 6543);
  assert.equal(databaseConfig({}), undefined);
});
