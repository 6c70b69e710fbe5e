// `npm run dev`: the server in watch mode on PORT (4000) and Vite's dev server on WEB_PORT (5173)
// with hot reload, proxying the API to the server. Open the Vite URL it prints.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createServer } from 'vite';

const port = process.env.PORT ?? '4000';
const webPort = process.env.WEB_PORT ?? '5173';
const root = path.join(import.meta.dirname, '..');

const server = spawn(
  process.execPath,
  [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'watch', '--clear-screen=false', 'server/main.ts'],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      PORT: port,
      // Pages come from Vite's origin: let it sign in, and do not serve an old build beside it.
      TIDINGS_TRUSTED_ORIGINS:
        process.env.TIDINGS_TRUSTED_ORIGINS ?? `http://localhost:${port},http://localhost:${webPort}`,
      TIDINGS_WEB_DIR: 'off',
    },
  },
);

const vite = await createServer({ configFile: path.join(import.meta.dirname, 'vite.config.ts') });
await vite.listen();
vite.printUrls();

const stop = () => {
  server.kill('SIGTERM');
  void vite.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.on('exit', (code) => {
  if (code !== null && code !== 0) process.stderr.write(`tidings: the server exited with code ${code}\n`);
});
