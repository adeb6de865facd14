import { createServer } from 'node:http';
import { database } from './database.js';

const SERVICE = '${{ values.name }}';

/** Handles one request: /healthz, and / which answers with the database's clock. */
export async function handle(request, response) {
  if (request.url === '/healthz') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: 'ok', service: SERVICE }));
    return;
  }
  if (request.url === '/') {
    const pool = await database();
    const now = pool ? (await pool.query('select now() as now')).rows[0].now : null;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ service: SERVICE, database: pool ? 'connected' : 'not configured', now }));
    return;
  }
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: 'not found' }));
}

export function start(port = Number(process.env.PORT ?? 8080)) {
  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: error.message }));
    });
  });
  return new Promise((resolve) => server.listen(port, () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await start();
  console.log(`${SERVICE} listening on port ${server.address().port}`);
}
