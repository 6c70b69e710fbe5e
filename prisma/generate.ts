// `npm run generate:prisma`: writes prisma/postgresql/schema.prisma from prisma/schema.prisma and
// generates both Prisma clients and the Pothos types. Run by `npm install` (postinstall).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { derivePostgresSchema, postgresSchemaPath, prismaDir, providers, schemaPath } from './derive.ts';

mkdirSync(path.dirname(postgresSchemaPath), { recursive: true });
writeFileSync(postgresSchemaPath, derivePostgresSchema());

const prismaBin = path.join(prismaDir, '..', 'node_modules', '.bin', 'prisma');
const config = path.join(prismaDir, 'prisma.config.ts');
for (const provider of providers) {
  try {
    execFileSync(prismaBin, ['generate', '--config', config, '--schema', schemaPath(provider)], {
      stdio: 'pipe',
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    process.stderr.write(`prisma generate failed for ${provider}:\n${stdout ?? ''}${stderr ?? ''}\n`);
    process.exit(1);
  }
  process.stdout.write(`generated the ${provider} Prisma client\n`);
}
