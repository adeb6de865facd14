/** Where store tests create their PostgreSQL databases (CI sets PLINTH_TEST_DATABASE_URL). */
export const POSTGRES_ADMIN_URL = process.env.PLINTH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
