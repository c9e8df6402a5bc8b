// drizzle-kit: generates the PostgreSQL migrations in migrations-pg/ from src/db/pg/schema.ts.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/pg/schema.ts',
  out: './migrations-pg',
});
