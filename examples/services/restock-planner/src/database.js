// Connection settings for the service's PostgreSQL database: DATABASE_URL, or the parts
// (DATABASE_HOST, DATABASE_PORT, DATABASE_USER, DATABASE_PASSWORD, DATABASE_NAME) that
// score.yaml maps from the provisioned `db` resource.
export function databaseConfig(env = process.env) {
  if (env.DATABASE_URL) return { connectionString: env.DATABASE_URL };
  if (!env.DATABASE_HOST) return undefined;
  return {
    host: env.DATABASE_HOST,
    port: Number(env.DATABASE_PORT ?? 5432),
    user: env.DATABASE_USER,
    password: env.DATABASE_PASSWORD,
    database: env.DATABASE_NAME,
  };
}

let pool;

/** A pg pool, created on first use; undefined when no database is configured. */
export async function database() {
  const config = databaseConfig();
  if (!config) return undefined;
  if (!pool) {
    const { default: pg } = await import('pg');
    pool = new pg.Pool({ ...config, max: 5 });
  }
  return pool;
}
